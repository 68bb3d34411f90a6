#!/usr/bin/env bash
# Runs every fuzzer (checkpoints, safetensors) for its share of a time budget; fails on
# any crash, leak, sanitizer report, timeout or out-of-memory. What `make fuzz` and CI call.
#
#   fuzz/run.sh BUILD_DIR [SECONDS]      (default 60 s in total, split evenly)
#
# Each fuzzer starts from its committed seeds (fuzz/corpus/<target>/) and writes what it
# finds to BUILD_DIR/fuzz-corpus/<target>/ (never into the repository), and a crashing
# input to BUILD_DIR/fuzz-artifacts/. To turn a crash into a regression test, copy that
# file to tests/data/ and load it in a test (see tests/nn/checkpoint_fuzz_regression_test.cpp).
set -euo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS]}
budget=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
targets=(npz_load_fuzzer npy_entry_fuzzer npy_header_fuzzer safetensors_load_fuzzer training_checkpoint_fuzzer)
per_target=$(( budget / ${#targets[@]} ))
(( per_target >= 1 )) || per_target=1

# Sanitizer reports abort the run (and so fail it); leaks are reported by libFuzzer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in llvm-symbolizer llvm-symbolizer-14; do
    if command -v "$s" >/dev/null 2>&1; then export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
  done
fi
export OPENBLAS_NUM_THREADS=1

mkdir -p "$build/fuzz-artifacts"
status=0
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  log="$build/fuzz-$t.log"
  echo "fuzz: $t for ${per_target} s (seeds: fuzz/corpus/$t, $(ls "$here/corpus/$t" | wc -l) files)"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a run over 2 GiB is a
  # memory blow-up (a 2 KiB input must not allocate gigabytes); -malloc_limit_mb: load
  # allocates what the model needs (bytes) and a header (10 KB at most; a safetensors
  # header at most the input), load_safetensors arrays whose bytes are in the input,
  # never 64 MiB at once, whatever sizes a file claims. -max_len covers the seeds (a
  # training checkpoint holds two generators' 313 words: 15 KB).
  max_len=8192
  [ "$t" != training_checkpoint_fuzzer ] || max_len=32768
  if "$build/$t" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64 \
       -max_len="$max_len" \
       -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
       "$work" "$here/corpus/$t" >"$log" 2>&1; then
    runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+' || echo '?')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
    echo "fuzz: $t: no crash in $runs executions ($cov; corpus now $(ls "$work" | wc -l) new files)"
  else
    status=1
    echo "fuzz: $t FAILED; the last lines of $log:" >&2
    tail -60 "$log" >&2
    ls -l "$build/fuzz-artifacts" >&2 || true
  fi
done
exit $status
