#!/usr/bin/env python3
"""Times one training step of the tiny transformer in PyTorch (float32), for comparison
with benchmarks/transformer_step_benchmark.cpp.

    /usr/bin/python3 examples/tiny_transformer/torch_step_time.py --batch 32 --threads 1

The model is side_by_side.py's (the example's default sizes: vocab 29, context 64,
d_model 64, 4 heads, 2 layers, MLP 256); a step is forward, cross-entropy, backward,
clip_grad_norm_(1.0), AdamW's step and zero_grad, as tapegrad's benchmark. The batches
are random character ids (the step's cost does not depend on them). After a warm-up,
prints (each setting in a fresh process) the medians over many steps of the wall-clock and the CPU time (all threads) in
microseconds, one line per setting, and the peak
resident memory of the process (resource.getrusage).
"""

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import TinyTransformer  # noqa: E402

CONFIG = {"vocab": 29, "context": 64, "d_model": 64, "heads": 4, "layers": 2, "mlp": 256,
          "layer_norm_eps": 1e-5}


def time_steps(batch, threads, steps, warmup):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = TinyTransformer(CONFIG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    vocab, context = CONFIG["vocab"], CONFIG["context"]
    x = torch.randint(vocab, (batch, context))
    y = torch.randint(vocab, (batch, context))
    times, cpu_times = [], []
    for i in range(warmup + steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        if i >= warmup:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    return 1e6 * statistics.median(times), 1e6 * statistics.median(cpu_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=50, help="timed steps per setting")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    settings = [(b, t) for b in args.batch for t in args.threads]
    if len(settings) > 1:
        # One process per setting: switching torch's thread count inside one process made
        # the 2-thread step several times slower than in a fresh one (torch 1.13).
        for batch, threads in settings:
            subprocess.run([sys.executable, __file__, "--batch", str(batch), "--threads",
                            str(threads), "--steps", str(args.steps), "--warmup",
                            str(args.warmup)], check=True)
        return 0
    for batch in args.batch:
        for threads in args.threads:
            us, cpu_us = time_steps(batch, threads, args.steps, args.warmup)
            print(f"pytorch tiny_transformer float32 batch {batch:4d} threads {threads}: "
                  f"{us:10.1f} us per step wall clock, {cpu_us:10.1f} us CPU "
                  f"(medians of {args.steps})", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak resident memory {rss / 1024:.1f} MiB (torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
