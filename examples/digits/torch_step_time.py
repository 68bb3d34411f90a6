#!/usr/bin/env python3
"""Times one PyTorch training step of the digits CNN, as benchmarks/digits_step_benchmark
times tapegrad's: forward, cross-entropy, backward, AdamW step and zero_grad, float32,
dropout 0.25 in training mode, a batch of random 8x8 images and random labels.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 examples/digits/torch_step_time.py \\
        --batch 32 256 --threads 1 2

Prints one line per setting: the median of --steps timed steps after --warmup untimed
ones, in microseconds (wall clock, and the process's CPU time: on a busy machine the
one-thread CPU time is the steadier figure), then the peak resident memory of the
process (getrusage ru_maxrss). --threads is torch.set_num_threads (intra-op threads).
stdlib + torch only.
"""

import argparse
import resource
import statistics
import sys
import time

import torch
from torch import nn


def make_model():
    """The example's CNN (examples/digits/model.hpp), dropout as in training."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(128, 10))


def step_time_us(batch, threads, warmup, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(2)
    model = make_model()
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    x = torch.rand(batch, 1, 8, 8)
    y = torch.randint(0, 10, (batch,))

    def step():
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1e6 * statistics.median(wall), 1e6 * statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 256],
                        help="batch sizes (default: 32 256)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="torch.set_num_threads values (default: 1 2)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed steps first")
    parser.add_argument("--steps", type=int, default=500, help="timed steps")
    args = parser.parse_args()
    if min(args.batch) < 1 or min(args.threads) < 1 or args.steps < 1 or args.warmup < 0:
        print("torch_step_time.py: --batch, --threads and --steps must be >= 1", file=sys.stderr)
        return 2
    print(f"torch {torch.__version__}, digits CNN, float32, median of {args.steps} steps")
    for batch in args.batch:
        for threads in args.threads:
            wall, cpu = step_time_us(batch, threads, args.warmup, args.steps)
            print(f"digits  batch {batch:4d}  threads {threads}  {wall:10.1f} us per step "
                  f"(wall clock; CPU time of all threads {cpu:.1f} us)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.1f} MiB (getrusage ru_maxrss)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
