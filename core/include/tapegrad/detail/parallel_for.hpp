#pragma once
// tg::detail::parallel_for: one large loop of an op shared between the intra-op threads
// (docs/threads.md, "Threads inside one op").
//
//     parallel_for(n, kMinElementsPerThread, [&](std::size_t begin, std::size_t end) {
//         for (std::size_t i = begin; i < end; ++i) y[i] = f(x[i]);
//     });
//
// The thread count is tg::blas_threads(): the user's "threads inside one op", which OpenBLAS
// uses for a GEMM and tapegrad for its large elementwise and row loops. The loop runs on
// the calling thread alone, as one call fn(0, n), when
//   - that count is 1 (the default),
//   - n < 2 · grain: there is not a range of `grain` items for a second thread, so small
//     tensors pay one comparison,
//   - the caller is a DataParallel worker (tg::detail::team_member() is set: the batch
//     split already uses the cores), inside another parallel_for (no nesting), or
//     another thread's parallel_for holds the threads at that moment.
// Otherwise [0, n) is cut into chunks of at least `grain` items and the calling thread and
// the pool's threads take them in turn (a shared counter). A pool thread that wakes after
// the chunks are taken is not waited for, so a busy machine costs the loop nothing but
// its own work. The pool's threads sleep between loops, never spin (docs/threads.md, "Why
// a pool of its own, not OpenMP").
//
// fn(begin, end) must give every item the same result whichever range it comes in: write
// item i from inputs at i (or row i from its row), no sum across items; that keeps the
// results bit-identical for every thread count. A loop the compiler or xsimd vectorizes
// needs its ranges cut where one loop over the whole would switch between vector and
// scalar code no differently (ops/src/kernels.hpp, parallel_for_elements). It must not make tensors (a pool thread
// has its own buffer pool and no tape): the caller allocates, fn only fills. An exception
// thrown by fn stops the chunks not yet started and is rethrown on the calling thread.

#include <cstddef>
#include <functional>

namespace tg::detail {

/// The grain of an elementwise loop: no thread gets fewer elements (about 20-60 µs of a
/// cheap loop, more than a sleeping thread takes to wake).
inline constexpr std::size_t kMinElementsPerThread = std::size_t(1) << 16;

/// The grain of a loop over rows of `width` elements: kMinElementsPerThread elements.
constexpr std::size_t rows_per_thread(std::size_t width) {
    return width >= kMinElementsPerThread
               ? 1
               : (kMinElementsPerThread + width - 1) / (width ? width : 1);
}

/// How many threads a loop of n items with this grain gets (1: it runs serially here).
std::size_t parallel_team(std::size_t n, std::size_t grain);

/// Runs fn over [0, n) in chunks of at least `grain` items on `team` threads (team >= 2).
void parallel_chunks(std::size_t n, std::size_t grain, std::size_t team,
                     const std::function<void(std::size_t, std::size_t)>& fn);

/// Calls fn(begin, end) over ranges that cover [0, n) once each (see the top of the file).
template <class F>
void parallel_for(std::size_t n, std::size_t grain, F&& fn) {
    if (grain == 0) grain = 1;
    if (n < 2 * grain) {  // the common case of small tensors: one comparison
        if (n) fn(std::size_t(0), n);
        return;
    }
    const std::size_t team = parallel_team(n, grain);
    if (team <= 1) {
        fn(std::size_t(0), n);
        return;
    }
    parallel_chunks(n, grain, team, std::function<void(std::size_t, std::size_t)>(std::ref(fn)));
}

/// Loops parallel_for has shared between threads in this process (for tests and
/// diagnostics: a loop that was meant to split did).
std::size_t parallel_loops();

}  // namespace tg::detail
