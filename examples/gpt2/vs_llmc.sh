#!/usr/bin/env bash
# vs_llmc.sh PEER_DIR GPT2 WORK_DIR PYTHON: the GPT-2 example against llm.c's CPU trainer
# (train_gpt2.c, hand-written backward, in PEER_DIR = ../shared/peers/llmc, whose README
# says what it is), in float32 on GPT-2 124M with GPT-2's random initialization: both
# train 10 steps on the same checkpoint and tokens (B = 4, T = 64; llm.c's driver.c and
# `gpt2 --peer-steps`), and the losses must agree, step 0 to 1e-6 and every step to 1e-5
# (relative: |a − b| <= tol · |b|). Builds the peer and writes the checkpoint
# (make_checkpoint.py, run by PYTHON, which needs numpy: the peer's own tool) into WORK_DIR once; 2 threads
# each (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS). Exit 0 when they agree, 1 with the table
# when not.
set -euo pipefail
peer=$1
program=$2
work=$3
python=$4
steps=10
mkdir -p "$work"
if [ ! -x "$work/llmc_step" ] || [ "$peer/driver.c" -nt "$work/llmc_step" ]; then
  gcc -Ofast -march=native -fopenmp -DOMP -Wno-unused-result "$peer/driver.c" -lm \
    -o "$work/llmc_step"
fi
checkpoint=$work/gpt2_124M.bin
if [ ! -f "$checkpoint" ]; then
  "$python" "$peer/make_checkpoint.py" "$checkpoint.tmp"
  mv "$checkpoint.tmp" "$checkpoint"
  rm -f "$checkpoint.tmp.npz"
fi
OMP_NUM_THREADS=2 "$work/llmc_step" "$checkpoint" 4 64 $steps > "$work/llmc.jsonl"
OPENBLAS_NUM_THREADS=2 "$program" --peer-steps $steps --init "$checkpoint" --batch-size 4 \
  --context 64 > "$work/tapegrad.jsonl"
# The "loss" of each JSON line, in step order; then the table and the verdict.
losses() { sed -n 's/.*"loss":\([-0-9.eE+]*\).*/\1/p' "$1"; }
paste <(losses "$work/llmc.jsonl") <(losses "$work/tapegrad.jsonl") | awk -v steps=$steps '
  function abs(v) { return v < 0 ? -v : v }
  BEGIN { printf "%4s  %12s  %12s  %9s\n", "step", "llm.c", "tapegrad", "rel diff"; bad = 0 }
  { rel = abs($2 - $1) / abs($1); tol = NR == 1 ? 1e-6 : 1e-5
    printf "%4d  %12.6f  %12.6f  %9.2e%s\n", NR - 1, $1, $2, rel, rel <= tol ? "" : "  > " tol
    if (!(rel <= tol) || $2 == "") bad = 1; n = NR }
  END { if (n != steps) { print "FAIL: " n " steps compared, not " steps; exit 1 }
        if (bad) { print "FAIL: the losses differ"; exit 1 }
        print "the losses agree: step 0 to 1e-6, every step to 1e-5 (relative)" }'
