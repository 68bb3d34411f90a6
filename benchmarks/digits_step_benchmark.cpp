// One training step of the digits CNN (examples/digits/model.hpp, the model the example
// trains: float, dropout 0.25): forward, cross-entropy, backward, AdamW step, zero_grad,
// on a batch of N random 8x8 images, in three variants measured in the same run:
//   one_thread    tape.backward on the calling thread, as the example trains
//   two_threads   tg::nn::DataParallel, 2 workers, every batch split
//                 (min_rows_per_worker = 1, min_work_per_worker = 0)
//   auto          DataParallel, 2 workers, default options (counter "workers": how many
//                 its rule gives N; the model has 6,090 parameters, so N = 32 stays on
//                 one thread and N = 256 is split)
// Dropout draws from each thread's own tg::nn::default_rng() (DataParallel's workers must
// not share one Rng). Counters: tape_entries (what one step records), pool_cached_KiB (the
// calling thread's pool after warm-up).
// Names are digits/<variant>/float/<N>; the table at the end gives the ratios to
// one_thread (below 1: faster). examples/digits/torch_step_time.py times PyTorch's step.

#include <benchmark/benchmark.h>

#include <tapegrad/detail/pool.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/tapegrad.hpp>

#include "benchmark_main.hpp"
#include "model.hpp"
#include "step_variants.hpp"

namespace {

namespace nn = tg::nn;
using T = float;

using tg::bench::Variant;

void step(benchmark::State& state, Variant variant) {
    const auto n = static_cast<std::size_t>(state.range(0));
    nn::Rng rng(2);
    const tg::Tensor<T> x(tg::Array<T>(nn::uniform<T>({n, 1, 8, 8}, 0.0, 1.0, rng)));
    tg::Array<T> labels = tg::Array<T>::from_shape({n});
    for (auto& label : labels) label = static_cast<T>(nn::uniform_index(rng, 10));
    const tg::Tensor<T> y(std::move(labels));
    nn::Sequential<T> model = digits::make_model<T>(rng, digits::kDropout, nullptr);
    tg::optim::AdamW<T> adamw(model.parameters(), T(3e-3));
    auto loss = [](const tg::Tensor<T>& logits, const tg::Tensor<T>& target) {
        return nn::cross_entropy(logits, target);
    };
    nn::DataParallel<T> parallel(model, loss, tg::bench::parallel_options(variant));
    tg::Tape tape;
    auto one_step = [&] {
        tg::bench::accumulate_gradients(variant, tape, parallel, model, loss, x, y);
        adamw.step();
        adamw.zero_grad();
    };
    {
        loss(model(x), y);
        state.counters["tape_entries"] = static_cast<double>(tape.size());
        tape.clear();
    }
    for (int i = 0; i < 20; ++i) one_step();
    // The calling thread's pool after warm-up: every block a step needs, in power-of-two
    // sizes (docs/threads.md); the step's requested bytes are not counted by the pool.
    state.counters["pool_cached_KiB"] =
        static_cast<double>(tg::detail::pool_stats().cached_bytes) / 1024;
    for (auto _ : state) one_step();
    tg::bench::count_plan(state, variant, parallel, n);
}

}  // namespace

int main(int argc, char** argv) {
    tg::bench::register_variants("digits", step, benchmark::kMicrosecond);
    tg::bench::RatioTable table("one_thread");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
