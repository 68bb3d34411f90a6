#pragma once
// What the buffer pool holds, as torch.cuda.memory_stats does for PyTorch's caching
// allocator, and the call that hands its cache back to the system.
//
// Every tensor buffer, tape entry and saved list comes from the pool (detail/pool.hpp):
// per-thread free lists of power-of-two blocks. A freed block is cached for reuse; the
// cache follows the working set of recent steps (docs/design.md, "The buffer pool"), so
// no step pays for fresh system memory once warm, whatever its size.

#include <cstddef>

namespace tg {

/// Process-wide counters of the buffer pool, in bytes of whole blocks (a request is
/// rounded up to a power of two of at least 64 bytes). Process-wide because a buffer may
/// be freed on another thread than the one that allocated it (DataParallel's workers
/// allocate gradients the caller frees): a per-thread "in use" would go negative on
/// one thread and never fall on the other.
struct MemoryStats {
    std::size_t allocated_bytes = 0;  ///< in blocks handed out and not yet freed
    std::size_t cached_bytes = 0;     ///< in free blocks kept for reuse (all threads)
    /// Most allocated_bytes since the last reset (a peak between two memory_stats() calls
    /// is seen to within 64 KiB per thread: threads add their counts in such steps).
    std::size_t peak_allocated_bytes = 0;
    std::size_t system_allocations = 0;  ///< blocks obtained from the system so far
    std::size_t system_frees = 0;        ///< blocks given back to the system so far
};

/// The pool's counters now. Cheap (a lock over the list of threads' pools); safe from
/// any thread.
MemoryStats memory_stats();

/// Starts peak_allocated_bytes afresh at the bytes allocated now.
void reset_peak_memory_stats();

/// Returns cached blocks to the system: the calling thread's at once; every other
/// thread's at its next allocation (a thread's free lists are touched by that
/// thread only, so no lock is taken on the allocation path). Blocks in use stay.
void empty_cache();

}  // namespace tg
