// The buffer pool's two rules on a GPT-2-sized step, in both loop orders, in one run.
//
// Model: a GPT-2 124M-shaped stack without attention, float: token embedding (50257 x 768,
// as GPT-2's wte), 12 residual-free MLP blocks Linear(768, 3072), GELU, Linear(3072, 768),
// and a Linear(768, 50257) head: 134 M parameters, AdamW, cross-entropy on B x T = 256
// rows. What matters to the pool is GPT-2's: half a gigabyte of gradients dropped by
// zero_grad, a 51 MB logits tensor, 154 MB embedding gradient, AdamW's temporaries.
//   zero_grad_first   zero_grad, forward, backward, step (README's order)
//   llmc              forward, zero_grad, backward, step (llm.c's order)
// Pool rules (detail::PoolPolicy):
//   cap_1GiB          a thread caches at most 1 GiB; beyond, freed blocks go back to the
//                     system at once (the rule until this benchmark)
//   window            the cache follows the working set (docs/design.md, "The buffer pool")
//   window_profiled   llmc / window under a tg::ProfileGuard (zero_grad and AdamW's step
//                     in tg::ProfileRanges); prints the profile table to stderr
// Counters: system_allocs_per_step (tg::memory_stats), faults_per_step (minor page
// faults, getrusage), peak_MiB (pool bytes in use at most during the measured steps),
// footprint_MiB (in use + cached after them), handed_out_MiB_per_step (the bytes of the
// blocks a step takes from the pool: the clock of the pool's windows).

#include <benchmark/benchmark.h>

#include <tapegrad/detail/pool.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/tapegrad.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <xtensor/xrandom.hpp>

#include "benchmark_main.hpp"

namespace {

namespace nn = tg::nn;
using T = float;

constexpr std::size_t kVocab = 50257, kWidth = 768, kHidden = 3072, kBlocks = 12, kRows = 256;

enum class Order { zero_grad_first, llmc };

long minor_faults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

void step(benchmark::State& state, Order order, tg::detail::PoolPolicy policy, bool profiled) {
    tg::empty_cache();  // no blocks from the previous benchmark
    tg::detail::set_pool_policy(policy);
    nn::Rng rng(1);
    nn::Sequential<T> model;
    model.add(nn::Embedding<T>(kVocab, kWidth, rng));
    for (std::size_t b = 0; b < kBlocks; ++b) {
        model.add(nn::Linear<T>(kWidth, kHidden, rng));
        model.add(nn::GELU<T>());
        model.add(nn::Linear<T>(kHidden, kWidth, rng));
    }
    model.add(nn::Linear<T>(kWidth, kVocab, rng));
    xt::random::seed(2);
    const tg::Tensor<T> tokens(xt::cast<T>(xt::random::randint<int>({kRows}, 0, kVocab)));
    const tg::Tensor<T> targets(xt::cast<T>(xt::random::randint<int>({kRows}, 0, kVocab)));
    tg::optim::AdamW<T> optimizer(model.parameters(), T(1e-4));
    tg::Tape tape;
    auto zero_grad = [&] {
        tg::ProfileRange range("zero_grad");
        optimizer.zero_grad();
    };
    auto one_step = [&] {
        if (order == Order::zero_grad_first) zero_grad();
        tg::Tensor<T> loss = nn::cross_entropy(model(tokens), targets);
        if (order == Order::llmc) zero_grad();
        tape.backward(loss);
        tg::ProfileRange range("AdamW.step");
        optimizer.step();
    };
    for (int i = 0; i < 3; ++i) one_step();
    const tg::MemoryStats before = tg::memory_stats();
    const std::size_t handed_out = tg::detail::pool_stats().allocated_total;
    const long faults = minor_faults();
    tg::reset_peak_memory_stats();
    tg::Profiler profiler;
    std::optional<tg::ProfileGuard> guard;
    if (profiled) guard.emplace(profiler);
    for (auto _ : state) one_step();
    guard.reset();
    if (profiled)
        std::fprintf(stderr, "\ngpt2_mlp/llmc/window_profiled: the profile of %zu steps\n%s\n",
                     static_cast<std::size_t>(state.iterations()), profiler.table().c_str());
    const auto steps = static_cast<double>(state.iterations());
    const tg::MemoryStats after = tg::memory_stats();
    state.counters["system_allocs_per_step"] =
        static_cast<double>(after.system_allocations - before.system_allocations) / steps;
    state.counters["faults_per_step"] = static_cast<double>(minor_faults() - faults) / steps;
    state.counters["handed_out_MiB_per_step"] =
        static_cast<double>(tg::detail::pool_stats().allocated_total - handed_out) / steps /
        (1 << 20);
    state.counters["footprint_MiB"] =
        static_cast<double>(after.allocated_bytes + after.cached_bytes) / (1 << 20);
    state.counters["peak_MiB"] = static_cast<double>(after.peak_allocated_bytes) / (1 << 20);
    tg::detail::set_pool_policy({});
}

}  // namespace

int main(int argc, char** argv) {
    tg::detail::PoolPolicy cap;
    cap.max_cached_bytes = std::size_t{1} << 30;
    for (auto [order, order_name] :
         {std::pair{Order::zero_grad_first, "zero_grad_first"}, std::pair{Order::llmc, "llmc"}})
        for (auto [policy, policy_name] :
             {std::pair{cap, "cap_1GiB"}, std::pair{tg::detail::PoolPolicy{}, "window"}})
            benchmark::RegisterBenchmark(
                (std::string("gpt2_mlp/") + order_name + "/" + policy_name).c_str(), step, order,
                policy, false)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
    benchmark::RegisterBenchmark("gpt2_mlp/llmc/window_profiled", step, Order::llmc,
                                 tg::detail::PoolPolicy{}, true)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    return tg::bench::run_benchmarks(argc, argv);
}
