#include <tapegrad/nn/detail/split_plan.hpp>

#include <algorithm>

namespace tg::detail {
namespace {

/// The machine's rates (2-core AMD EPYC, OpenBLAS 0.3.21 with OPENBLAS_CORETYPE=Haswell),
/// fitted to the one-thread, batch-split and OpenBLAS-thread steps of the blog, wide,
/// digits, LSTM, transformer and GPT-2-shaped benchmarks on a quiet machine (21 cases;
/// benchmarks/README.md, "DataParallel's automatic split").
struct Rates {
    double gemm_mads_per_s;           ///< one thread, forward + backward counted as 3x
    double seconds_per_element;       ///< an element an elementwise op reads or writes
    double seconds_per_entry;         ///< recording one op and running its backward
    double seconds_per_split;         ///< waking the workers and joining them
    double seconds_per_grad_element;  ///< per worker and parameter element: its gradient
                                      ///< written, then read by the reduction
    double split_efficiency;          ///< what n workers sharing memory keep of n x
    double blas_efficiency;           ///< what n OpenBLAS threads keep of n x
    double seconds_per_blas_call;     ///< a threaded GEMM's hand-off between threads
};

Rates rates(bool is_double) {
    if (is_double) return {39e9, 0.3e-9, 0.43e-6, 38e-6, 0.64e-9, 0.93, 0.87, 2.4e-6};
    return {58e9, 0.075e-9, 0.43e-6, 38e-6, 0.83e-9, 0.93, 0.87, 2.4e-6};
}

}  // namespace

StepCost step_cost(const WorkCount& work, std::size_t parameters,
                   std::size_t threads, bool is_double) {
    const Rates r = rates(is_double);
    const double n = double(std::max<std::size_t>(threads, 1));
    // A step does about three times the forward's work (backward: two GEMMs per GEMM).
    const double gemm = 3 * work.gemm_mads / r.gemm_mads_per_s;
    const double threaded = 3 * work.threaded_gemm_mads / r.gemm_mads_per_s;
    const double elementwise = 3 * work.elements * r.seconds_per_element;
    const double fixed = double(work.entries) * r.seconds_per_entry;
    StepCost cost;
    cost.one_thread = gemm + elementwise + fixed;
    // Split: the arithmetic is shared, each worker records every op, and each worker
    // writes a whole gradient that the reduction reads.
    cost.batch_split = (gemm + elementwise) / (n * r.split_efficiency) + fixed +
                       r.seconds_per_split +
                       double(parameters) * n * r.seconds_per_grad_element;
    // OpenBLAS threads: the GEMMs OpenBLAS threads (forward and two in backward) are
    // shared, and each pays a hand-off.
    cost.blas_threads = cost.one_thread - threaded + threaded / (n * r.blas_efficiency) +
                        3 * work.threaded_gemm_calls * r.seconds_per_blas_call;
    return cost;
}

nn::StepPlan plan_split(const WorkCount& work, std::size_t rows, std::size_t parameters,
                     std::size_t threads, bool is_double, double min_gain) {
    nn::StepPlan plan;
    if (threads < 2) return plan;
    const StepCost cost = step_cost(work, parameters, threads, is_double);
    const double bar = (1 - min_gain) * cost.one_thread;
    const bool split_pays = rows >= 2 && cost.batch_split <= bar;
    const bool blas_pays = cost.blas_threads <= bar;
    if (split_pays && (!blas_pays || cost.batch_split <= cost.blas_threads)) {
        plan.workers = std::min(threads, rows);
    } else if (blas_pays) {
        plan.workers = threads;
        plan.blas_threads = true;
    }
    return plan;
}

}  // namespace tg::detail
