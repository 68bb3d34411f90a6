#!/usr/bin/env bash
# GPT-2's training step, float32: tapegrad (examples/gpt2 --peer-steps), llm.c's CPU
# trainer (train_gpt2.c, hand-written backward, OpenMP; ../shared/peers/llmc) and PyTorch
# 1.13 (benchmarks/gpt2_torch_step.py), on the same checkpoint (GPT-2's random init from
# the peer's make_checkpoint.py) and the same tokens, AdamW lr 1e-4:
#   - GPT-2 124M (12 layers, 768 channels, vocabulary 50,257) at B = 4, T = 64;
#   - a small GPT-2 (4 layers, 4 heads, 256 channels, vocabulary 8,192) at B = 8, T = 256;
# each with 1 and 2 threads (OpenBLAS's for tapegrad, OpenMP's for llm.c,
# torch.set_num_threads for PyTorch), one program after the other.
#
#   benchmarks/gpt2_vs_peers.sh [BUILD_DIR] [STEPS]   (default build/ and 5; `make build` first)
#
# Per run: the median ms per step over the steps after the first (the first allocates),
# tokens per second (B·T / that), peak RSS (/usr/bin/time -v) and the step-0 loss (the
# three must agree). The checkpoints and llm.c's program are made once into
# BUILD_DIR/examples/peers (as the example_gpt2_vs_llmc test makes them). A markdown table
# on stdout; the JSON lines in BUILD_DIR/examples/peers/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-5}
peer=${TAPEGRAD_PEERS_DIR:-../shared/peers}/llmc
python=${TAPEGRAD_PYTHON:-/usr/bin/python3}
work=$build/examples/peers
out=$work/bench
if [ ! -f "$peer/driver.c" ]; then
  echo "gpt2_vs_peers: $peer is absent (llm.c lives beside the repository on the development" \
       "machine; set TAPEGRAD_PEERS_DIR)" >&2
  exit 1
fi
mkdir -p "$out"
[ -x "$work/llmc_step" ] && [ "$work/llmc_step" -nt "$peer/driver.c" ] ||
  gcc -Ofast -march=native -fopenmp -DOMP -Wno-unused-result "$peer/driver.c" -lm \
    -o "$work/llmc_step"
make_checkpoint() {  # NAME ARGS...: the .bin and its .npz (PyTorch reads the .npz)
  local name=$1; shift
  [ -f "$work/$name.bin" ] && [ -f "$work/$name.bin.npz" ] ||
    "$python" "$peer/make_checkpoint.py" "$work/$name.bin" "$@" > /dev/null
}
make_checkpoint gpt2_124M
make_checkpoint small --layers 4 --heads 4 --channels 256 --vocab 8192 --max-seq 256

# run NAME PEER THREADS B T HEADS: one program, its JSON lines in $out, a table row.
run() {
  local name=$1 who=$2 threads=$3 b=$4 t=$5 heads=$6
  local log=$out/$name-$who-$threads
  local ckpt=$work/$name.bin
  case $who in
    tapegrad) cmd=("$build/examples/gpt2" --peer-steps "$steps" --init "$ckpt" --heads "$heads"
                   --batch-size "$b" --context "$t") ;;
    llm.c) cmd=("$work/llmc_step" "$ckpt" "$b" "$t" "$steps") ;;
    pytorch) cmd=("$python" benchmarks/gpt2_torch_step.py "$ckpt.npz" "$heads" "$b" "$t" "$steps"
                  "$threads") ;;
  esac
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads /usr/bin/time -v "${cmd[@]}" \
    > "$log.jsonl" 2> "$log.time"
  local ms rss loss
  ms=$(sed -n 's/.*"step":\([0-9]*\),"ms":\([0-9.]*\).*/\1 \2/p' "$log.jsonl" |
       awk '$1 > 0 { print $2 }' | sort -n | awk '{ v[NR] = $1 } END {
         print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$log.time")
  loss=$(sed -n 's/.*"step":0,.*"loss":\([-0-9.]*\).*/\1/p' "$log.jsonl")
  printf '| %s | B=%s T=%s | %s | %s | %.0f | %.0f | %.2f | %s |\n' "$name" "$b" "$t" "$threads" \
    "$who" "$ms" "$(awk -v b="$b" -v t="$t" -v ms="$ms" 'BEGIN { print b * t / ms * 1000 }')" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1048576 }')" "$loss"
}

echo "gpt2_vs_peers: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$steps steps each, median of steps 1-$((steps - 1))"
echo
echo "| config | batch | threads | program | ms per step | tokens/s | peak RSS (GiB) | step-0 loss |"
echo "|---|---|--:|---|--:|--:|--:|--:|"
for config in "gpt2_124M 4 64 12" "small 8 256 4"; do
  read -r name b t heads <<< "$config"
  for threads in 1 2; do
    for who in tapegrad llm.c pytorch; do
      run "$name" "$who" "$threads" "$b" "$t" "$heads"
    done
  done
done
