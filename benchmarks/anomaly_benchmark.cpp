// What anomaly mode costs: one training step (forward, backward, SGD update) of the blog
// network, without and with NaN/Inf checks of every recorded forward value and every
// gradient, in the same run:
//   plain        no checks
//   guard        tg::DetectAnomalyGuard alive around the loop
//   tape_option  the tape made with TapeOptions{detect_anomaly = true}
// The checks read every value once more (forward outputs and gradients), so their cost
// grows with N. Measured on the 2-core EPYC (one run, machine shared): +8% (double) and
// +11% (float) at N = 1, +30% and +55% at N = 4096. The check (all_finite in
// core/src/tape.cpp) is a scalar loop with an early exit over xtensor's iterators, which
// the compiler does not vectorize; it shows most in float, whose step is cheaper.
//
// Names are blog/<variant>/<dtype>/<N>; the table at the end gives the ratios to plain.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <tapegrad/nn.hpp>
#include <tapegrad/tapegrad.hpp>

#include "benchmark_main.hpp"

namespace {

using tg::Array;
namespace nn = tg::nn;

enum class Mode { plain, guard, tape_option };

template <class T>
nn::Sequential<T> blog_network() {
    nn::Rng rng(1);
    return nn::Sequential<T>{
        nn::Dense<T>(1, 32, rng),  nn::Sigmoid<T>(), nn::Dense<T>(32, 32, rng), nn::Sigmoid<T>(),
        nn::Dense<T>(32, 16, rng), nn::Sigmoid<T>(), nn::Dense<T>(16, 16, rng), nn::Sigmoid<T>(),
        nn::Dense<T>(16, 1, rng),  nn::Tanh<T>()};
}

template <class T>
void training_step(benchmark::State& state, Mode mode) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    nn::Rng rng(2);
    Array<T> x = Array<T>::from_shape({n, 1}), y = Array<T>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) {
        x(i, 0) = static_cast<T>(nn::uniform(rng, -1, 1));
        y(i, 0) =
            static_cast<T>(0.8 * std::clamp((0.75 - std::abs(double(x(i, 0)))) / 0.5, 0.0, 1.0));
    }
    const tg::Tensor<T> xs(std::move(x)), ys(std::move(y));
    nn::Sequential<T> model = blog_network<T>();
    tg::optim::SGD<T> sgd(model.parameters(), T(1e-3));

    std::optional<tg::DetectAnomalyGuard> guard;
    if (mode == Mode::guard) guard.emplace();
    tg::Tape tape(tg::TapeOptions{mode == Mode::tape_option});
    auto step = [&] {
        tg::Tensor<T> loss = nn::half_sse_per_example(model(xs), ys);
        tape.backward(loss);
        sgd.step();
        sgd.zero_grad();
        return loss;
    };
    for (int i = 0; i < 50; ++i) step();  // warm the pools up
    for (auto _ : state) benchmark::DoNotOptimize(step().value().data());
}

template <class T>
void register_sizes(const char* dtype) {
    for (long n : {1L, 16L, 256L, 4096L}) {
        const std::string suffix = std::string("/") + dtype;
        benchmark::RegisterBenchmark(("blog/plain" + suffix).c_str(), training_step<T>, Mode::plain)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("blog/guard" + suffix).c_str(), training_step<T>, Mode::guard)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("blog/tape_option" + suffix).c_str(), training_step<T>,
                                     Mode::tape_option)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_sizes<double>("double");
    register_sizes<float>("float");
    tg::bench::RatioTable table("plain");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
