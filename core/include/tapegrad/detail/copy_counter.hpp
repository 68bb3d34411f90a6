#pragma once
// A count of the bytes that movement ops copy ("copies per step").
//
// Movement ops add the bytes they write to one process-wide counter: concat, rows and
// index_add_rows, every gather or scatter of index.cpp (index_select, flip, gather, repeat,
// pad, scatter_add), a view op's scatter_window backward, contiguous(), and the contiguous
// copy a strided view's value() makes (docs/design.md "Storage and views"). Views
// themselves (reshape, transpose, narrow, slice, select, broadcast_to, ...) add nothing.
// benchmarks/transformer_step_benchmark.cpp reads it around a training step (counter
// moved_KiB_per_step). Relaxed atomic: a count,
// not a synchronization point (DataParallel's workers add to it at once).

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tg::detail {

inline std::atomic<std::uint64_t> movement_bytes{0};

/// Adds the bytes of `elements` values of type T copied by a movement op.
template <class T>
void count_moved(std::size_t elements) noexcept {
    movement_bytes.fetch_add(elements * sizeof(T), std::memory_order_relaxed);
}

/// Bytes copied by movement ops since the start (or the last reset).
inline std::uint64_t bytes_moved() noexcept {
    return movement_bytes.load(std::memory_order_relaxed);
}

/// Sets the count back to zero.
inline void reset_bytes_moved() noexcept { movement_bytes.store(0, std::memory_order_relaxed); }

}  // namespace tg::detail
