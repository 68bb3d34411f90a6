// One training step of the sequence example (examples/sequence: LSTM(2, H) + Dense(H, 1)
// on adding-problem sequences of length L, the example's defaults H = 32, L = 50), in
// float, as the example trains: forward, MSE loss, backward, clip_grad_norm_ to 1, Adam
// step, zero_grad. The model and the data come from the example's own model.cpp and
// data.cpp.
//   one_thread    tape.backward on the calling thread
//   two_threads   tg::nn::DataParallel, 2 workers, every batch split
//   auto          DataParallel, workers = 2, default options (the counter `workers` says
//                 how many it used)
// Counters: workers; tape_entries and tape_bytes (what one forward pass records, on one
// thread); pool_bytes (what the calling thread's tapegrad pool holds after the steps:
// every temporary of a step, each rounded up to a power of two); moved_KiB_per_step
// (bytes copied by movement ops in one step, tg::detail::bytes_moved, issue 27).
// Names are sequence/<variant>/float/<N>; the table at the end gives the ratios to
// one_thread. Compare with examples/sequence/torch_step_time.py.

#include <benchmark/benchmark.h>

#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/detail/pool.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/tapegrad.hpp>

#include "benchmark_main.hpp"
#include "data.hpp"
#include "model.hpp"
#include "step_variants.hpp"

namespace {

namespace nn = tg::nn;
using T = float;

using tg::bench::Variant;

void step(benchmark::State& state, Variant variant) {
    const auto n = static_cast<std::size_t>(state.range(0));
    tg::empty_cache();  // pool_bytes: this benchmark's blocks only
    nn::Rng rng(1);
    const auto data = sequence::adding_problem<T>(n, sequence::kDefaultLength, rng);
    const tg::Tensor<T> x{tg::Array<T>(data.x)}, y{tg::Array<T>(data.y)};
    sequence::LstmRegressor<T> model(sequence::kDefaultHidden, rng);
    const std::vector<tg::Tensor<T>> params = model.parameters();
    tg::optim::Adam<T> adam(params, T(1e-3));
    auto loss = [](const tg::Tensor<T>& p, const tg::Tensor<T>& t) { return nn::mse_loss(p, t); };
    nn::DataParallel<T> parallel(model, loss, tg::bench::parallel_options(variant));
    tg::Tape tape;
    auto one_step = [&] {
        tg::bench::accumulate_gradients(variant, tape, parallel, model, loss, x, y);
        nn::clip_grad_norm_(params, 1.0);
        adam.step();
        adam.zero_grad();
    };
    if (variant == Variant::one_thread) {
        loss(model(x), y);
        state.counters["tape_entries"] = static_cast<double>(tape.size());
        state.counters["tape_bytes"] = static_cast<double>(tape.bytes());
        tape.clear();
    }
    for (int i = 0; i < 5; ++i) one_step();
    const std::uint64_t moved_before = tg::detail::bytes_moved();
    one_step();
    state.counters["moved_KiB_per_step"] =
        static_cast<double>(tg::detail::bytes_moved() - moved_before) / 1024.0;
    for (auto _ : state) one_step();
    state.counters["pool_bytes"] = static_cast<double>(tg::detail::pool_stats().cached_bytes);
    tg::bench::count_plan(state, variant, parallel, n);
}

}  // namespace

int main(int argc, char** argv) {
    tg::bench::register_variants("sequence", step, benchmark::kMicrosecond);
    tg::bench::RatioTable table("one_thread");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
