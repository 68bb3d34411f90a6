// One training step (forward, backward, SGD update) of the blog network and of a wide
// network, in three variants measured in the same run:
//   manual        tg::nn::reference: the classic formulas, GEMM on raw buffers, no tape
//   tape          tg::nn modules (Dense through the fused tg::linear) on a tg::Tape
//   tape_unfused  the same network written from raw matmul, + and activation ops
// Counters: faults_per_step (minor page faults per step after warm-up, from getrusage),
// tape_entries and tape_bytes (what one step records).
//
// Names are <network>/<variant>/<dtype>/<N>; the table at the end gives the ratios.

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cmath>
#include <tapegrad/nn.hpp>
#include <tapegrad/tapegrad.hpp>

#include "benchmark_main.hpp"
#include "networks.hpp"

namespace {

using tg::Array;
namespace nn = tg::nn;
using tg::bench::make_network;
using tg::bench::Net;

constexpr int kWarmupSteps = 50;

long minor_faults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

// ---- networks and data ------------------------------------------------------------------

template <class T>
struct Batch {
    Array<T> x, y;
};

/// The blog data (x uniform in [−1, 1], y the trapezoid), or random inputs and targets
/// of the wide network's sizes.
template <class T>
Batch<T> make_batch(Net net, std::size_t n) {
    nn::Rng rng(2);
    const std::size_t in = net == Net::blog ? 1 : 784, out = net == Net::blog ? 1 : 10;
    Batch<T> b{Array<T>::from_shape({n, in}), Array<T>::from_shape({n, out})};
    for (auto& e : b.x) e = static_cast<T>(nn::uniform(rng, -1, 1));
    if (net == Net::blog) {
        for (std::size_t i = 0; i < n; ++i)
            b.y(i, 0) = static_cast<T>(
                0.8 * std::clamp((0.75 - std::abs(double(b.x(i, 0)))) / 0.5, 0.0, 1.0));
    } else {
        for (auto& e : b.y) e = static_cast<T>(nn::uniform(rng, 0, 1));
    }
    return b;
}

template <class T>
constexpr T kLearningRate = T(1e-3);

void set_faults_per_step(benchmark::State& state, long faults) {
    state.counters["faults_per_step"] =
        benchmark::Counter(static_cast<double>(faults), benchmark::Counter::kAvgIterations);
}

// ---- the three variants ---------------------------------------------------------------

template <class T>
void manual_step(benchmark::State& state, Net net) {
    const Batch<T> batch = make_batch<T>(net, static_cast<std::size_t>(state.range(0)));
    auto model = nn::to_reference(make_network<T>(net));
    for (int i = 0; i < kWarmupSteps; ++i) model.train_step(batch.x, batch.y, kLearningRate<T>);
    const long faults = minor_faults();
    for (auto _ : state)
        benchmark::DoNotOptimize(model.train_step(batch.x, batch.y, kLearningRate<T>));
    set_faults_per_step(state, minor_faults() - faults);
}

template <class T>
void tape_step(benchmark::State& state, Net net) {
    const Batch<T> batch = make_batch<T>(net, static_cast<std::size_t>(state.range(0)));
    nn::Sequential<T> model = make_network<T>(net);
    tg::optim::SGD<T> sgd(model.parameters(), kLearningRate<T>);
    const tg::Tensor<T> x(Array<T>(batch.x)), y(Array<T>(batch.y));
    tg::Tape tape;  // one tape for the whole loop: backward releases each step's entries
    auto step = [&] {
        tg::Tensor<T> loss = nn::half_sse_per_example(model(x), y);
        tape.backward(loss);
        sgd.step();
        sgd.zero_grad();
        return loss;
    };
    {
        nn::half_sse_per_example(model(x), y);
        state.counters["tape_entries"] = static_cast<double>(tape.size());
        state.counters["tape_bytes"] = static_cast<double>(tape.bytes());
        tape.clear();
    }
    for (int i = 0; i < kWarmupSteps; ++i) step();
    const long faults = minor_faults();
    for (auto _ : state) benchmark::DoNotOptimize(step().value().data());
    set_faults_per_step(state, minor_faults() - faults);
}

template <class T>
void tape_unfused_step(benchmark::State& state, Net net) {
    const Batch<T> batch = make_batch<T>(net, static_cast<std::size_t>(state.range(0)));
    // The Dense weights, stored transposed (in, out) so that each layer is matmul(a, W) + b.
    nn::Sequential<T> reference = make_network<T>(net);
    const auto layers = nn::to_reference(reference);
    std::vector<tg::Tensor<T>> weights, biases, params;
    for (std::size_t i = 0; i < layers.depth(); ++i) {
        weights.push_back(tg::parameter<T>(Array<T>(xt::transpose(layers.layer(i).weight))));
        biases.push_back(tg::parameter<T>(layers.layer(i).bias));
        params.push_back(weights.back());
        params.push_back(biases.back());
    }
    tg::optim::SGD<T> sgd(params, kLearningRate<T>);
    const tg::Tensor<T> x(Array<T>(batch.x)), y(Array<T>(batch.y));
    tg::Tape tape;
    auto step = [&] {
        tg::Tensor<T> a = x;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            tg::Tensor<T> z = tg::matmul(a, weights[i]) + biases[i];
            const bool last = i + 1 == weights.size();
            if (net == Net::blog)
                a = last ? tg::tanh(z) : tg::sigmoid(z);
            else
                a = last ? z : tg::relu(z);
        }
        tg::Tensor<T> loss =
            tg::sum(tg::square(a - y)) * T(0.5 / static_cast<double>(batch.x.shape()[0]));
        tape.backward(loss);
        sgd.step();
        sgd.zero_grad();
        return loss;
    };
    for (int i = 0; i < kWarmupSteps; ++i) step();
    const long faults = minor_faults();
    for (auto _ : state) benchmark::DoNotOptimize(step().value().data());
    set_faults_per_step(state, minor_faults() - faults);
}

// Registered N by N, so the variants of one size run next to each other.
template <class T>
void register_network(const char* net_name, Net net, const std::vector<long>& sizes,
                      const char* dtype) {
    const std::string prefix = std::string(net_name) + "/";
    for (long n : sizes) {
        benchmark::RegisterBenchmark((prefix + "manual/" + dtype).c_str(), manual_step<T>, net)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((prefix + "tape/" + dtype).c_str(), tape_step<T>, net)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((prefix + "tape_unfused/" + dtype).c_str(),
                                     tape_unfused_step<T>, net)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<long> blog_sizes = {1, 16, 64, 256, 1024, 4096};
    register_network<double>("blog", Net::blog, blog_sizes, "double");
    register_network<float>("blog", Net::blog, blog_sizes, "float");
    register_network<float>("wide", Net::wide, {1, 64, 256}, "float");
    register_network<double>("wide", Net::wide, {1, 64, 256}, "double");
    tg::bench::RatioTable table("manual");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
