#pragma once
// How tg::nn::DataParallel's automatic split chooses between one thread, the batch split
// and OpenBLAS threads: a cost model of one step, in seconds, from the work counted on the
// tape of the first step (docs/threads.md, "How a step is split").

#include <tapegrad/detail/work_count.hpp>
#include <tapegrad/nn/data_parallel.hpp>

#include <cstddef>

namespace tg::detail {

/// What the model predicts for one step of `work` (the forward work of the whole batch)
/// on one thread, split between `threads` workers, and with `threads` OpenBLAS threads.
struct StepCost {
    double one_thread = 0;
    double batch_split = 0;
    double blas_threads = 0;
};

/// `parameters`: elements of the parameters (each worker of a split writes a whole
/// gradient, which the reduction then reads).
StepCost step_cost(const WorkCount& work, std::size_t parameters,
                   std::size_t threads, bool is_double);

/// The cheapest plan for `work` on `threads` threads; one thread unless another is
/// predicted to save at least `min_gain` of the one-thread step.
nn::StepPlan plan_split(const WorkCount& work, std::size_t rows, std::size_t parameters,
                     std::size_t threads, bool is_double, double min_gain = 0.1);

}  // namespace tg::detail
