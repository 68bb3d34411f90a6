// One training step of a GPT-2-shaped model (examples/gpt2's model: GPT-2 small's
// widths, vocabulary 50,257, context 64, 12 heads of 64, but 2 blocks so that a step takes
// about a second) in float at B = 4, T = 64: forward, next-token cross-entropy, backward,
// AdamW's step and zero_grad, on random tokens. The variants of step_variants.hpp:
//   one_thread, two_threads (the batch split: 2 sequences per worker), blas_threads
//   (one worker, 2 OpenBLAS threads) and auto (DataParallel's Split::automatic).
// This is the "GPT-2-shaped model" of DataParallel's split table (benchmarks/README.md).
// Counter moved_KiB_per_step: bytes copied by movement ops in one step
// (tg::detail::bytes_moved, issue 27).

#include <benchmark/benchmark.h>

#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/tapegrad.hpp>

#include "../examples/common/language_model.hpp"
#include "../examples/gpt2/model.hpp"
#include "benchmark_main.hpp"
#include "step_variants.hpp"

namespace {

namespace nn = tg::nn;
using T = float;
using tg::bench::Variant;

void step(benchmark::State& state, Variant variant) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    gpt2::Config config;
    config.vocab = 50257;
    config.context = 64;
    config.layers = 2;
    config.heads = 12;
    config.channels = 768;
    nn::Rng rng(1);
    gpt2::GPT2<T> model(config, rng);
    const tg::Tensor<T> tokens(tg::Array<T>(
        xt::floor(nn::uniform<T>({batch, config.context + 1}, 0.0, double(config.vocab), rng))));
    const examples::Tokens x = tg::to_int64(tg::narrow(tokens, 1, 0, config.context));
    const examples::Tokens y = tg::to_int64(tg::narrow(tokens, 1, 1, config.context));
    tg::optim::AdamW<T> optimizer(model.parameters(), T(1e-4));
    nn::DataParallel<T, std::int64_t> parallel(model, examples::next_token_loss<T>,
                                               tg::bench::parallel_options(variant));
    tg::Tape tape;
    auto one_step = [&] {
        tg::bench::accumulate_gradients(variant, tape, parallel, model,
                                        examples::next_token_loss<T>, x, y);
        optimizer.step();
        optimizer.zero_grad();
    };
    one_step();  // auto counts its work on this one
    const std::uint64_t moved_before = tg::detail::bytes_moved();
    one_step();
    state.counters["moved_KiB_per_step"] =
        static_cast<double>(tg::detail::bytes_moved() - moved_before) / 1024.0;
    for (auto _ : state) one_step();
    tg::bench::count_plan(state, variant, parallel, batch);
}

}  // namespace

int main(int argc, char** argv) {
    const std::pair<const char*, Variant> variants[] = {{"one_thread", Variant::one_thread},
                                                        {"two_threads", Variant::two_threads},
                                                        {"blas_threads", Variant::blas_threads},
                                                        {"auto", Variant::automatic}};
    for (const auto& [name, variant] : variants)
        benchmark::RegisterBenchmark((std::string("gpt2_shaped/") + name + "/float").c_str(), step,
                                     variant)
            ->Arg(4)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    tg::bench::RatioTable table("one_thread");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
