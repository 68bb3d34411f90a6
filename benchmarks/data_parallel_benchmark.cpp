// One training step (forward, backward, SGD update) on one thread against
// tg::nn::DataParallel with two workers, for the blog network and the wide
// 784-256-256-10 ReLU network, float and double:
//   one_thread    tape.backward on the calling thread (as training_step_benchmark's tape)
//   two_threads   DataParallel, 2 workers, every batch split
//   blas_threads  DataParallel, one worker, 2 OpenBLAS threads
//   auto          DataParallel, 2 workers, default options (Split::automatic)
// (benchmarks/step_variants.hpp)
// Names are <network>/<variant>/<dtype>/<N>; the table at the end gives the ratios to
// one_thread (below 1: faster).

#include <benchmark/benchmark.h>

#include <tapegrad/nn.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/tapegrad.hpp>

#include "benchmark_main.hpp"
#include "networks.hpp"
#include "step_variants.hpp"

namespace {

using tg::Array;
namespace nn = tg::nn;
using tg::bench::make_network;
using tg::bench::Net;
using tg::bench::Variant;

template <class T>
void step(benchmark::State& state, Net net, Variant variant) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::size_t in = net == Net::blog ? 1 : 784, out = net == Net::blog ? 1 : 10;
    nn::Rng rng(2);
    const tg::Tensor<T> x(Array<T>(nn::uniform<T>({n, in}, -1.0, 1.0, rng)));
    const tg::Tensor<T> y(Array<T>(nn::uniform<T>({n, out}, 0.0, 1.0, rng)));
    nn::Sequential<T> model = make_network<T>(net);
    tg::optim::SGD<T> sgd(model.parameters(), T(1e-3));
    auto loss = [](const tg::Tensor<T>& p, const tg::Tensor<T>& t) {
        return nn::half_sse_per_example(p, t);
    };
    nn::DataParallel<T> parallel(model, loss, tg::bench::parallel_options(variant));
    tg::Tape tape;
    auto one_step = [&] {
        if (variant == Variant::one_thread)
            tape.backward(loss(model(x), y));
        else
            parallel.backward(x, y);
        sgd.step();
        sgd.zero_grad();
    };
    for (int i = 0; i < 20; ++i) one_step();
    for (auto _ : state) one_step();
    tg::bench::count_plan(state, variant, parallel, n);
}

template <class T>
void register_network(const char* name, Net net, const std::vector<long>& sizes,
                      const char* dtype) {
    const std::pair<const char*, Variant> variants[] = {{"one_thread", Variant::one_thread},
                                                        {"two_threads", Variant::two_threads},
                                                        {"blas_threads", Variant::blas_threads},
                                                        {"auto", Variant::automatic}};
    for (long n : sizes)
        for (const auto& [variant_name, variant] : variants)
            benchmark::RegisterBenchmark(
                (std::string(name) + "/" + variant_name + "/" + dtype).c_str(), step<T>, net,
                variant)
                ->Arg(n)
                ->Unit(benchmark::kMicrosecond)
                ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    register_network<double>("blog", Net::blog, {16, 256, 1024, 4096}, "double");
    register_network<float>("blog", Net::blog, {16, 256, 1024, 4096}, "float");
    register_network<double>("wide", Net::wide, {64, 256, 1024}, "double");
    register_network<float>("wide", Net::wide, {64, 256, 1024}, "float");
    tg::bench::RatioTable table("one_thread");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
