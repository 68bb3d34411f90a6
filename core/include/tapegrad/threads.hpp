#pragma once
// tapegrad's thread policy, in one place.
//
//     tg::set_num_threads(2);   // DataParallel's workers: 2 (default: the cores)
//
// OpenBLAS runs one thread per GEMM unless the user asks otherwise (the environment
// variables OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, or tg::set_blas_threads): a second
// OpenBLAS thread made a small LSTM step 50 % slower (3.8 vs 2.5 ms) and gave nothing on
// the blog network's skinny GEMMs (docs/notes.md, "OpenBLAS threads"). Cores pay through tg::nn::DataParallel,
// which splits a batch between workers that each run the whole model, or, for one large
// step, through threads inside each op: tg::set_blas_threads(n) gives OpenBLAS n threads per
// GEMM and tapegrad's own large loops (elementwise ops, layer_norm, softmax, cross_entropy,
// the Adam/AdamW step) n threads too (tg::detail::parallel_for; docs/threads.md, "Threads
// inside one op"). Those loops give the same bits on any number of threads.

namespace tg {

/// The number of workers tg::nn::DataParallel uses (n >= 1; ValueError otherwise).
void set_num_threads(int n);
/// The current worker count: set_num_threads's, else the number of cores.
int num_threads();
/// The threads inside one op (n >= 1): OpenBLAS's per GEMM, and tapegrad's for its large
/// elementwise and row loops (from 2^17 elements; never inside a DataParallel worker).
/// Default: 1, unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS is set in the environment,
/// which then wins.
void set_blas_threads(int n);
/// The current count of threads inside one op (OpenBLAS's thread count).
int blas_threads();

namespace detail {
/// Applies the default OpenBLAS policy once per process (tg::Tape's constructor and
/// DataParallel call it; later calls cost one check).
void apply_thread_policy();
}  // namespace detail

}  // namespace tg
