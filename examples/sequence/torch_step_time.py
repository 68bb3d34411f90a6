#!/usr/bin/env python3
"""Times the sequence example's training step in PyTorch, float32, for comparison with
benchmarks/sequence_step_benchmark.cpp.

    torch_step_time.py [--batch 32 256] [--threads 1 2] [--hidden 32] [--length 50]

The step is the example's: LSTM(2, H, batch_first=True) + Linear(H, 1) on the last
hidden state, MSE loss, backward, clip_grad_norm_ to 1, Adam step, zero_grad. Adding-
problem batches drawn with numpy (the values do not change the time). Per setting: a
warm-up of 10 steps, then the median of the per-step times of at least 50 steps and
1 second, in microseconds of wall clock (and of process CPU time, all threads: on a
busy machine the wall clock also counts the time spent waiting for a core); one line
per setting, then the peak resident memory of the process (resource.getrusage; all
settings together).

stdlib + numpy + torch only. Run with OPENBLAS_NUM_THREADS=1 (torch.set_num_threads sets
the intra-op threads).
"""

import argparse
import resource
import statistics
import time

import numpy as np
import torch


from side_by_side import LstmRegressor  # the same model as the loss comparison


def adding_batch(n, length, rng):
    x = np.zeros((n, length, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((n, length))
    half = length // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, length, n)
    rows = np.arange(n)
    x[rows, first, 1] = 1
    x[rows, second, 1] = 1
    y = (x[rows, first, 0] + x[rows, second, 0]).reshape(n, 1)
    return torch.from_numpy(x), torch.from_numpy(y)


def time_step(batch, threads, hidden, length):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x, y = adding_batch(batch, length, np.random.default_rng(1))
    model = LstmRegressor(hidden)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()

    for _ in range(10):
        step()
    times, cpu = [], []
    start = time.perf_counter()
    while len(times) < 50 or time.perf_counter() - start < 1.0:
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times) * 1e6, statistics.median(cpu) * 1e6, len(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, nargs="+", default=[32, 256])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--length", type=int, default=50)  # the example's defaults: 32 and 50
    a = p.parse_args()
    print(f"torch {torch.__version__}, float32, LSTM(2, {a.hidden}) + Linear({a.hidden}, 1), "
          f"length {a.length}")
    for batch in a.batch:
        for threads in a.threads:
            us, cpu_us, n = time_step(batch, threads, a.hidden, a.length)
            print(f"sequence/torch/float/{batch} threads {threads}: {us:.1f} us per step "
                  f"(median of {n}; CPU time {cpu_us:.1f} us)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.1f} MiB")


if __name__ == "__main__":
    main()
