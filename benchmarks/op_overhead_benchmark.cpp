// What one recorded op costs on a 1-element tensor, where the arithmetic is nothing:
// the op without a tape, recorded, and recorded plus its share of backward (also with the
// profiler on: tg::ProfileGuard).
// Each iteration runs a chain of kChain ops; the counter time_per_op divides by it.

#include <benchmark/benchmark.h>

#include <optional>

#include <tapegrad/tapegrad.hpp>

#include "benchmark_main.hpp"

namespace {

using Tensor = tg::Tensor<double>;
constexpr int kChain = 100;

Tensor add_op(const Tensor& x, const Tensor& w) { return x + w; }
Tensor mul_op(const Tensor& x, const Tensor& w) { return x * w; }
Tensor tanh_op(const Tensor& x, const Tensor&) { return tg::tanh(x); }
Tensor matmul_op(const Tensor& x, const Tensor& w) { return tg::matmul(x, w); }

using Op = Tensor (*)(const Tensor&, const Tensor&);

/// A 1x1 leaf that requires a gradient.
Tensor scalar_parameter(double v) {
    tg::Array<double> a = tg::Array<double>::from_shape({1, 1});
    a.fill(v);
    return Tensor(std::move(a), true);
}

/// Counter time_per_op: seconds per op (printed with an SI prefix: 250n = 250 ns).
void set_time_per_op(benchmark::State& state) {
    state.counters["time_per_op"] = benchmark::Counter(
        kChain, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// The chain without a tape (recorded = false), or recorded on a tape that is cleared
/// after each chain (recorded = true).
template <Op op, bool recorded>
void BM_op_forward(benchmark::State& state) {
    Tensor x = scalar_parameter(0.5);
    Tensor w = scalar_parameter(0.999);
    std::optional<tg::Tape> tape;
    if (recorded) tape.emplace();
    for (auto _ : state) {
        Tensor y = x;
        for (int i = 0; i < kChain; ++i) y = op(y, w);
        benchmark::DoNotOptimize(y.value().data());
        if (tape) tape->clear();
    }
    set_time_per_op(state);
}

/// Recorded plus backward; with `profiled`, the whole loop runs under a tg::ProfileGuard
/// (a profiler event per op forward and per entry backward).
template <Op op, bool profiled>
void BM_op_recorded_backward(benchmark::State& state) {
    Tensor x = scalar_parameter(0.5);
    Tensor w = scalar_parameter(0.999);
    tg::Tape tape;
    tg::Profiler profiler;
    std::optional<tg::ProfileGuard> guard;
    if (profiled) guard.emplace(profiler);
    for (auto _ : state) {
        Tensor y = x;
        for (int i = 0; i < kChain; ++i) y = op(y, w);
        tape.backward(tg::sum(y));
    }
    benchmark::DoNotOptimize(x.grad().value().data());
    set_time_per_op(state);
}

#define TG_OP_BENCHMARKS(op)                                                                   \
    BENCHMARK_TEMPLATE(BM_op_forward, op, false)->Name("op_no_tape/" #op);                     \
    BENCHMARK_TEMPLATE(BM_op_forward, op, true)->Name("op_recorded/" #op);                     \
    BENCHMARK_TEMPLATE(BM_op_recorded_backward, op, false)->Name("op_recorded_backward/" #op); \
    BENCHMARK_TEMPLATE(BM_op_recorded_backward, op, true)                                      \
        ->Name("op_recorded_backward_profiled/" #op);
TG_OP_BENCHMARKS(add_op)
TG_OP_BENCHMARKS(mul_op)
TG_OP_BENCHMARKS(tanh_op)
TG_OP_BENCHMARKS(matmul_op)

}  // namespace

int main(int argc, char** argv) { return tg::bench::run_benchmarks(argc, argv); }
