#pragma once
// A per-thread pool of 64-byte aligned blocks in power-of-two size classes.
//
// Why: a training step allocates the same temporaries every step. glibc returns large
// freed blocks to the kernel, so fresh temporaries cost a page fault per 4 KiB on every
// step (docs/notes.md). Keeping freed blocks for the next step makes steady-state
// training allocate nothing from the OS.

#include <cstddef>
#include <new>

namespace tg::detail {

void* pool_allocate(std::size_t bytes);
void pool_deallocate(void* p, std::size_t bytes) noexcept;

/// Statistics of the calling thread's pool (for tests and benchmarks; tg::memory_stats()
/// is the process-wide view).
struct PoolStats {
    std::size_t cached_bytes = 0;        ///< bytes held in free lists, ready for reuse
    std::size_t system_allocations = 0;  ///< blocks obtained from the system so far
    std::size_t allocated_total = 0;     ///< bytes of every block handed out so far
};
PoolStats pool_stats();

/// When the pool gives cached blocks back (docs/design.md, "The buffer pool"). A window
/// ends once the thread has been handed max(min_window_bytes, window_factor x its
/// footprint at the window's start) bytes of blocks (footprint: its cached bytes plus
/// the process's bytes in use); then each size class returns the blocks it
/// kept idle through the whole window. Process-wide; tests set small numbers.
struct PoolPolicy {
    std::size_t min_window_bytes = std::size_t{256} << 20;
    std::size_t window_factor = 4;
    /// A hard cap on each thread's cache, beyond which a freed block goes back at once;
    /// unlimited by default. 1 GiB was the rule before windows (the benchmarks compare).
    std::size_t max_cached_bytes = ~std::size_t{0};
};
void set_pool_policy(const PoolPolicy& policy);
PoolPolicy pool_policy();

/// std::allocator-compatible allocator over the thread's pool.
template <class T>
struct PoolAllocator {
    using value_type = T;
    PoolAllocator() noexcept = default;
    template <class U>
    PoolAllocator(const PoolAllocator<U>&) noexcept {}
    template <class U>
    struct rebind {
        using other = PoolAllocator<U>;
    };
    T* allocate(std::size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { pool_deallocate(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const PoolAllocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const PoolAllocator<U>&) const noexcept {
        return false;
    }
};

}  // namespace tg::detail
