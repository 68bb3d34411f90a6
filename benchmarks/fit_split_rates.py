#!/usr/bin/env python3
"""Fits the rates of DataParallel's split model (nn/src/split_plan.cpp, docs/threads.md
"How a step is split") to measured steps, and prints what the fitted model would choose.

    for b in data_parallel digits_step sequence_step transformer_step gpt2_step; do
        build/benchmarks/${b}_benchmark --benchmark_min_time=0.3 --benchmark_repetitions=3 \
            --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
            --benchmark_out=$b.json --benchmark_out_format=json; done
    /usr/bin/python3 benchmarks/fit_split_rates.py *.json

Uses the medians of the one_thread, two_threads and blas_threads variants and the work
the auto variant counted (its counters); least squares on the logarithms (scipy)."""
import collections
import json
import math
import re
import sys

from scipy.optimize import least_squares

# Parameter elements of the benchmark models (the counters do not carry them).
PARAMETERS = {'blog': 1937, 'wide': 269322, 'digits': 6090, 'sequence': 4641,
              'transformer': 117000, 'gpt2_shaped': 53e6}
NAMES = 'r_gemm_float r_gemm_double t_elem_float t_elem_double t_op t_split ' \
        't_grad_float t_grad_double e e_blas t_call'.split()
START = [53, 26.5, 0.06, 0.1, 1.5, 45, 1.0, 1.6, 0.95, 0.8, 20]  # G/s, ns, µs


def load(files):
    times, work = collections.defaultdict(dict), {}
    for name in files:
        for b in json.load(open(name))['benchmarks']:
            if b.get('aggregate_name') != 'median':
                continue
            model, variant, dtype, n = re.match(r'(\w+)/(\w+)/(\w+)/(\d+)/', b['run_name']).groups()
            key = (model, dtype, int(n))
            scale = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3}[b['time_unit']]
            times[key][variant] = b['real_time'] * scale
            if variant == 'auto' and 'gemm_Mmads' in b:
                work[key] = b
    return times, work


def predict(x, key, c):
    rg_f, rg_d, te_f, te_d, t_op, t_split, tg_f, tg_d, e, e_blas, t_call = x
    double = key[1] == 'double'
    r_gemm = (rg_d if double else rg_f) * 1e9
    t_elem = (te_d if double else te_f) * 1e-9
    t_grad = (tg_d if double else tg_f) * 1e-9
    n = 2
    gemm = 3 * c['gemm_Mmads'] * 1e6 / r_gemm
    elementwise = 3 * c['elements_M'] * 1e6 * t_elem
    fixed = c['ops'] * t_op * 1e-6
    one = gemm + elementwise + fixed
    split = (gemm + elementwise) / (n * e) + fixed + t_split * 1e-6 + \
        PARAMETERS[key[0]] * n * t_grad
    threaded = 3 * c['threaded_Mmads'] * 1e6 / r_gemm
    blas = one - threaded * (1 - 1 / (n * e_blas)) + 3 * c['blas_calls'] * t_call * 1e-6
    return one, split, blas


def main():
    times, work = load(sys.argv[1:])
    keys = sorted(k for k in times if k in work and k[0] in PARAMETERS)

    def residuals(x):
        r = []
        for k in keys:
            one, split, blas = predict(x, k, work[k])
            m = times[k]
            r.append(math.log(one / m['one_thread']))
            r.append(math.log(split / one / (m['two_threads'] / m['one_thread'])))
            r.append(2 * math.log(blas / one / (m['blas_threads'] / m['one_thread'])))
        return r

    fit = least_squares(residuals, START, bounds=([1, 1, 0, 0, 0, 0, 0, 0, 0.3, 0.3, 0],
                                                  [500, 500, 10, 10, 100, 1000, 100, 100, 1, 1, 1000]))
    print('rates:', {n: round(v, 4) for n, v in zip(NAMES, fit.x)})
    print('rms of the log residuals:', round(math.sqrt(sum(v * v for v in fit.fun) / len(fit.fun)), 3))
    for k in keys:
        one, split, blas = predict(fit.x, k, work[k])
        m = times[k]
        measured = {'one thread': 1.0, 'split': m['two_threads'] / m['one_thread'],
                    'BLAS': m['blas_threads'] / m['one_thread']}
        predicted = {'split': split / one, 'BLAS': blas / one}
        choice = 'one thread'  # unless another saves 10 % (plan_split's min_gain)
        for mode in ('split', 'BLAS'):
            if predicted[mode] <= 0.9 and (choice == 'one thread' or predicted[mode] < predicted[choice]):
                choice = mode
        print(f"{k[0]:12s} {k[1]:6s} {k[2]:5d}  measured split {measured['split']:.2f} "
              f"BLAS {measured['BLAS']:.2f}  predicted split {predicted['split']:.2f} "
              f"BLAS {predicted['BLAS']:.2f}  -> {choice} ({measured[choice]:.2f})")


if __name__ == '__main__':
    main()
