#pragma once
// The three ways the example models' step benchmarks (digits, sequence, transformer) run
// a training step, and their registration:
//   one_thread    tape.backward on the calling thread
//   two_threads   tg::nn::DataParallel, 2 workers, every batch split
//                 (min_rows_per_worker = 1, min_work_per_worker = 0)
//   blas_threads  DataParallel with Split::blas: one worker, 2 OpenBLAS threads
//   auto          DataParallel, 2 workers, default options (Split::automatic; counters
//                 "workers" and "blas": what its rule chose, and the work it counted)
// Names are <model>/<variant>/float/<N> for N = 32 and 256.

#include <benchmark/benchmark.h>

#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/tape.hpp>

#include <string>
#include <utility>

namespace tg::bench {

enum class Variant { one_thread, two_threads, blas_threads, automatic };

/// DataParallel's options for `variant`: 2 workers; two_threads splits every batch.
inline tg::nn::DataParallelOptions parallel_options(Variant variant) {
    tg::nn::DataParallelOptions options;
    options.workers = 2;
    if (variant == Variant::two_threads)
        options.split = tg::nn::Split::batch, options.min_rows_per_worker = 1,
        options.min_work_per_worker = 0;
    if (variant == Variant::blas_threads) options.split = tg::nn::Split::blas;
    return options;
}

/// Adds d loss(model(x), y) / d p into every parameter's grad(): on `tape` for
/// one_thread, through `parallel` otherwise. x holds values or int64 token ids, y values
/// or int64 class indices.
template <class T, class Y, class X, class Model, class Loss>
void accumulate_gradients(Variant variant, tg::Tape& tape, tg::nn::DataParallel<T, Y>& parallel,
                          Model& model, const Loss& loss, const tg::Tensor<X>& x,
                          const tg::Tensor<Y>& y) {
    if (variant == Variant::one_thread)
        tape.backward(loss(model(x), y));
    else
        parallel.backward(x, y);
}

/// Counters: "workers" (threads the variant used for `rows` rows), "blas" (1 when they
/// were OpenBLAS's), and for auto the work its rule counted (per step, forward):
/// "gemm_Mmads", "threaded_Mmads", "blas_calls", "elements_M", "ops".
template <class T, class Y>
void count_plan(benchmark::State& state, Variant variant,
                const tg::nn::DataParallel<T, Y>& parallel, std::size_t rows) {
    const tg::nn::StepPlan plan = parallel.plan(rows);
    state.counters["workers"] = variant == Variant::one_thread ? 1.0 : double(plan.workers);
    state.counters["blas"] = variant != Variant::one_thread && plan.blas_threads ? 1.0 : 0.0;
    if (variant != Variant::automatic || parallel.counted_rows() == 0) return;
    const tg::detail::WorkCount work =
        parallel.counted_work().scaled(double(rows) / double(parallel.counted_rows()));
    state.counters["gemm_Mmads"] = work.gemm_mads / 1e6;
    state.counters["threaded_Mmads"] = work.threaded_gemm_mads / 1e6;
    state.counters["blas_calls"] = work.threaded_gemm_calls;
    state.counters["elements_M"] = work.elements / 1e6;
    state.counters["ops"] = double(work.entries);
}

/// Registers `step` as <model>/<variant>/float/<N> for N = 32 and 256, wall-clock time.
inline void register_variants(const std::string& model, void (*step)(benchmark::State&, Variant),
                              benchmark::TimeUnit unit) {
    const std::pair<const char*, Variant> variants[] = {{"one_thread", Variant::one_thread},
                                                        {"two_threads", Variant::two_threads},
                                                        {"blas_threads", Variant::blas_threads},
                                                        {"auto", Variant::automatic}};
    for (long n : {32L, 256L})
        for (const auto& [name, variant] : variants)
            benchmark::RegisterBenchmark((model + "/" + name + "/float").c_str(), step, variant)
                ->Arg(n)
                ->Unit(unit)
                ->UseRealTime();
}

}  // namespace tg::bench
