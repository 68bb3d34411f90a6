#pragma once
// tapegrad's thread policy, in one place.
//
//     tg::set_num_threads(2);   // DataParallel's workers: 2 (default: the cores)
//
// OpenBLAS runs one thread per GEMM unless the user asks otherwise (the environment
// variables OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, or tg::set_blas_threads): a second
// OpenBLAS thread made a small LSTM step 50 % slower (3.8 vs 2.5 ms) and gave nothing on
// the blog network's skinny GEMMs (docs/notes.md, "OpenBLAS threads"). Cores pay through tg::nn::DataParallel,
// which splits a batch between workers that each run the whole model.

namespace tg {

/// The number of workers tg::nn::DataParallel uses (n >= 1; ValueError otherwise).
void set_num_threads(int n);
/// The current worker count: set_num_threads's, else the number of cores.
int num_threads();
/// OpenBLAS's threads per GEMM (n >= 1). Default: 1, unless OPENBLAS_NUM_THREADS or
/// OMP_NUM_THREADS is set in the environment, which then wins.
void set_blas_threads(int n);
/// OpenBLAS's current thread count.
int blas_threads();

namespace detail {
/// Applies the default OpenBLAS policy once per process (tg::Tape's constructor and
/// DataParallel call it; later calls cost one check).
void apply_thread_policy();
}  // namespace detail

}  // namespace tg
