#!/usr/bin/env bash
# The training step of the three issue-17 example models (digits CNN, sequence LSTM,
# tiny transformer), tapegrad against PyTorch, float32, batch 32 and 256, 1 and 2 threads:
# each model's Google Benchmark program, then its PyTorch twin, one after the other.
#
#   benchmarks/vs_pytorch.sh [BUILD_DIR]      (default build/; `make build` first)
#
# tapegrad: one_thread is tape.backward on the calling thread; two_threads is
# tg::nn::DataParallel with 2 workers and every batch split; auto is DataParallel's own
# rule (its "workers" counter). PyTorch: torch.set_num_threads(1 or 2), Debian's
# python3-torch 1.13. One OpenBLAS thread for both (docs/notes.md: a second one only adds
# noise on these sizes). Run it on a quiet machine: the table in benchmarks/README.md
# came from it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
python=${TAPEGRAD_PYTHON:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=1

echo "vs_pytorch: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for pair in digits:digits sequence:sequence transformer:tiny_transformer; do
  program=${pair%%:*}_step_benchmark
  example=${pair##*:}
  echo "== $example: tapegrad"
  "$build/benchmarks/$program" --benchmark_repetitions=3 \
    --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true \
    --benchmark_min_time=0.5
  echo "== $example: PyTorch"
  "$python" "examples/$example/torch_step_time.py" --batch 32 256 --threads 1 2
done
