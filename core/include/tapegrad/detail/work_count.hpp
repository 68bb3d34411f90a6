#pragma once
// The work a recorded pass does, counted from the tape: what tg::nn::DataParallel's
// automatic split decides from (docs/threads.md, "How a step is split").

#include <cstddef>

namespace tg {
class Tape;
namespace detail {

/// The forward work of the entries a tape keeps. The backward of each op does about
/// twice its forward's work (two GEMMs per GEMM; an elementwise op reads its output's
/// gradient and writes its inputs'), so a step's work is about three times this.
struct WorkCount {
    /// Multiply-adds of the matrix products (matmul, linear, gemm, attention; a
    /// convolution is im2col and a gemm).
    double gemm_mads = 0;
    /// The part of gemm_mads in products that OpenBLAS shares between threads when it
    /// has them (m·n·k of one product at least `blas_threads_from`).
    double threaded_gemm_mads = 0;
    /// Those products' GEMM calls: each costs a hand-off between the threads.
    double threaded_gemm_calls = 0;
    /// Elements the other entries read and write (their inputs' and output's sizes).
    double elements = 0;
    /// Number of entries (each costs a fixed amount to record and run backward).
    std::size_t entries = 0;

    WorkCount& operator+=(const WorkCount& other);
    /// Every count multiplied by `factor` (the work of `factor` times the rows).
    WorkCount scaled(double factor) const;
};

/// OpenBLAS 0.3.21 shares a GEMM between its threads from this m·n·k on (interface/gemm.c:
/// SMP_THRESHOLD_MIN × GEMM_MULTITHREAD_THRESHOLD); measured on a quiet machine, two
/// threads pay from there on (benchmarks/README.md, "DataParallel's automatic split").
constexpr double blas_threads_from = 65536.0 * 4;

/// Counts the entries `tape` keeps now (call it before the sweep releases them).
WorkCount count_work(Tape& tape);

}  // namespace detail
}  // namespace tg
