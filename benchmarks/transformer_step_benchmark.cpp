// One training step of examples/tiny_transformer's model (the same code: model.cpp) in
// float at the example's default sizes (context 64, d_model 64, 4 heads, 2 layers, MLP
// 256, 29 characters): forward, next-character cross-entropy, backward,
// clip_grad_norm_(1.0), AdamW's step and zero_grad, on batches of real text.
//   one_thread    tape.backward on the calling thread
//   two_threads   tg::nn::DataParallel, 2 workers, every batch split
//                 (min_rows_per_worker = 1, min_work_per_worker = 0)
//   auto          DataParallel, 2 workers, default options (counter "workers": how many
//                 it used; a row here is a whole sequence of 64 characters)
// Counter moved_KiB_per_step: bytes copied by movement ops in one step
// (tg::detail::bytes_moved, issue 27), counted over one step before the timed ones.
// Compare with examples/tiny_transformer/torch_step_time.py (the same step in PyTorch).
// Names are transformer/<variant>/float/<N>; the table at the end gives the ratios to
// one_thread.

#include <benchmark/benchmark.h>

#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/detail/pool.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/tapegrad.hpp>

#include "../examples/tiny_transformer/model.hpp"
#include "../examples/tiny_transformer/text.hpp"
#include "benchmark_main.hpp"
#include "step_variants.hpp"

namespace {

namespace nn = tg::nn;
using namespace tiny_transformer;
using T = float;

using tg::bench::Variant;

void step(benchmark::State& state, Variant variant) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string text = make_corpus(60000, 2026);  // the example's text
    const Vocabulary vocab(text);
    Config config;
    config.vocab = vocab.size();
    nn::Rng rng(1), batch_rng(2);
    TinyTransformer<T> model(config, rng);
    const auto [x, y] = random_batch(vocab.encode(text), n, config.context, batch_rng);
    tg::optim::AdamW<T> optimizer(model.parameters(), T(1e-3));
    nn::DataParallel<T, std::int64_t> parallel(model, examples::next_token_loss<T>,
                                               tg::bench::parallel_options(variant));
    tg::Tape tape;
    auto one_step = [&] {
        tg::bench::accumulate_gradients(variant, tape, parallel, model,
                                        examples::next_token_loss<T>, x, y);
        nn::clip_grad_norm_(model.parameters(), 1.0);
        optimizer.step();
        optimizer.zero_grad();
    };
    for (int i = 0; i < 3; ++i) one_step();
    const std::uint64_t moved_before = tg::detail::bytes_moved();
    one_step();
    const double moved = static_cast<double>(tg::detail::bytes_moved() - moved_before);
    for (auto _ : state) one_step();
    state.counters["moved_KiB_per_step"] = moved / 1024.0;
    tg::bench::count_plan(state, variant, parallel, n);
    state.counters["pool_cached_MiB"] =
        static_cast<double>(tg::detail::pool_stats().cached_bytes) / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
    tg::bench::register_variants("transformer", step, benchmark::kMillisecond);
    tg::bench::RatioTable table("one_thread");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
