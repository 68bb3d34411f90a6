#include <tapegrad/detail/pool.hpp>
#include <tapegrad/memory.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <tuple>
#include <utility>
#include <vector>

namespace tg::detail {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr int kMinClass = 6;  // 64 bytes
constexpr int kClasses = 40;  // free lists indexed by class: pooled blocks up to 2^39 bytes

/// The power of two a block of `bytes` is served from: 2^c >= bytes, c >= kMinClass.
int size_class(std::size_t bytes) {
    if (bytes <= (std::size_t{1} << kMinClass)) return kMinClass;
    return 64 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));
}

// Process-wide counters (tg::memory_stats). The system counters change only when the
// system is asked, which a warm step does not do. Bytes in use change on every call, so
// each thread counts its own change in `unflushed` and adds it to g_allocated only once
// it reaches kFlushBytes either way: a locked add on every allocation and free cost 20 ns
// an op (op_overhead_benchmark). memory_stats() adds the threads' unflushed bytes, so
// what it reports is exact; the peak misses at most kFlushBytes per thread of a peak
// that lasted between two flushes and between two memory_stats() calls.
constexpr std::ptrdiff_t kFlushBytes = std::ptrdiff_t{64} << 10;
std::atomic<std::size_t> g_allocated{0};  ///< flushed bytes in use
std::atomic<std::size_t> g_peak{0};
std::atomic<std::size_t> g_system_allocations{0};
std::atomic<std::size_t> g_system_frees{0};
// Bumped by empty_cache(); a pool that sees a new value empties its free lists.
std::atomic<std::uint64_t> g_generation{0};
// The policy (PoolPolicy), read when a window ends and on each free (the cap).
std::atomic<std::size_t> g_min_window{PoolPolicy{}.min_window_bytes};
std::atomic<std::size_t> g_window_factor{PoolPolicy{}.window_factor};
std::atomic<std::size_t> g_max_cached{PoolPolicy{}.max_cached_bytes};

void raise_peak(std::size_t now) {
    std::size_t peak = g_peak.load(std::memory_order_relaxed);
    while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {}
}

/// Adds `bytes` (negative: frees) to the flushed count of bytes in use.
void flush_allocated(std::ptrdiff_t bytes) {
    const std::size_t now =
        g_allocated.fetch_add(static_cast<std::size_t>(bytes), std::memory_order_relaxed) +
        static_cast<std::size_t>(bytes);
    if (bytes > 0) raise_peak(now);
}

void system_free(void* p) {
    std::free(p);
    g_system_frees.fetch_add(1, std::memory_order_relaxed);
}

/// A cached block: its first bytes link it to the next free block of its class.
struct FreeBlock {
    FreeBlock* next;
};

struct Pool;
/// The live threads' pools, so that memory_stats() can add up their caches. Never
/// destroyed: threads may exit during static destruction.
struct Registry {
    std::mutex mutex;
    std::vector<Pool*> pools;
};
Registry& registry() {
    static Registry* r = new Registry;
    return *r;
}

struct Pool {
    FreeBlock* free_lists[kClasses] = {};
    std::size_t count[kClasses] = {};  ///< blocks in each free list
    std::size_t low[kClasses] = {};    ///< the fewest blocks each list held in this window
    /// Written by the owning thread only; atomic so that memory_stats() may read them.
    std::atomic<std::size_t> cached{0};
    std::atomic<std::ptrdiff_t> unflushed{0};  ///< bytes in use not yet in g_allocated
    std::size_t system_allocations = 0;
    std::size_t allocated_total = 0;
    std::size_t window_served = 0;  ///< bytes handed out since the window began
    std::size_t window_length = g_min_window.load(std::memory_order_relaxed);
    /// PoolPolicy::max_cached_bytes, read when a window ends (not on every free).
    std::size_t max_cached = g_max_cached.load(std::memory_order_relaxed);
    std::uint64_t generation = g_generation.load(std::memory_order_relaxed);

    Pool() {
        std::lock_guard<std::mutex> lock(registry().mutex);
        registry().pools.push_back(this);
    }
    ~Pool();

    /// A block of `bytes` handed out (positive) or freed (negative) on this thread.
    void count_in_use(std::ptrdiff_t bytes) {
        std::ptrdiff_t d = unflushed.load(std::memory_order_relaxed) + bytes;
        if (d >= kFlushBytes || d <= -kFlushBytes) {
            flush_allocated(d);
            d = 0;
        }
        unflushed.store(d, std::memory_order_relaxed);
    }

    void add_cached(std::ptrdiff_t bytes) {
        cached.store(cached.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    }

    void release_all() {
        for (int c = 0; c < kClasses; ++c) {
            while (FreeBlock* p = free_lists[c]) {
                free_lists[c] = p->next;
                system_free(p);
            }
            count[c] = low[c] = 0;
        }
        cached.store(0, std::memory_order_relaxed);
    }

    /// empty_cache() on another thread asked every pool to empty itself.
    void follow_empty_cache() {
        const std::uint64_t g = g_generation.load(std::memory_order_relaxed);
        if (g != generation) {
            release_all();
            generation = g;
        }
    }

    /// The end of a window: each class gives back the blocks none of its requests needed
    /// (the fewest it held at any time since the window began), the coldest first.
    void end_window() {
        for (int c = kMinClass; c < kClasses; ++c) {
            const std::size_t idle = low[c];
            if (idle > 0) {
                const std::size_t keep = count[c] - idle;
                FreeBlock** link = &free_lists[c];
                for (std::size_t k = 0; k < keep; ++k) link = &(*link)->next;
                FreeBlock* p = *link;
                *link = nullptr;
                while (p) {
                    FreeBlock* next = p->next;
                    system_free(p);
                    p = next;
                }
                count[c] = keep;
                add_cached(-static_cast<std::ptrdiff_t>(idle << c));
            }
            low[c] = count[c];
        }
        window_served = 0;
        max_cached = g_max_cached.load(std::memory_order_relaxed);
        // The thread's cache and the process's blocks in use: a thread's own count of
        // bytes in use would drift without bound on a DataParallel worker, whose
        // gradients its caller frees.
        const std::size_t footprint =
            cached.load(std::memory_order_relaxed) + g_allocated.load(std::memory_order_relaxed);
        window_length = std::max(g_min_window.load(std::memory_order_relaxed),
                                 g_window_factor.load(std::memory_order_relaxed) * footprint);
    }
};

// Set once the thread's pool is destroyed, so that buffers freed later (by objects with
// static storage duration) go straight back to the system.
thread_local bool pool_destroyed = false;

Pool& thread_pool() {
    thread_local Pool pool;
    return pool;
}

Pool::~Pool() {
    release_all();
    {
        std::lock_guard<std::mutex> lock(registry().mutex);
        flush_allocated(unflushed.load(std::memory_order_relaxed));
        unflushed.store(0, std::memory_order_relaxed);
        auto& pools = registry().pools;
        pools.erase(std::find(pools.begin(), pools.end(), this));
    }
    pool_destroyed = true;
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
    const int c = size_class(bytes);
    if (c >= kClasses) throw std::bad_alloc();  // 2^40 bytes or more: no machine has them
    const std::size_t block = std::size_t{1} << c;
    if (!pool_destroyed) {
        Pool& pool = thread_pool();
        pool.follow_empty_cache();
        pool.allocated_total += block;
        if ((pool.window_served += block) >= pool.window_length) pool.end_window();
        if (FreeBlock* p = pool.free_lists[c]) {
            pool.free_lists[c] = p->next;
            if (--pool.count[c] < pool.low[c]) pool.low[c] = pool.count[c];
            pool.add_cached(-static_cast<std::ptrdiff_t>(block));
            pool.count_in_use(static_cast<std::ptrdiff_t>(block));
            return p;
        }
        ++pool.system_allocations;
    }
    void* p = std::aligned_alloc(kAlignment, block);
    if (!p) throw std::bad_alloc();
    g_system_allocations.fetch_add(1, std::memory_order_relaxed);
    if (pool_destroyed)
        flush_allocated(static_cast<std::ptrdiff_t>(block));
    else
        thread_pool().count_in_use(static_cast<std::ptrdiff_t>(block));
    return p;
}

void pool_deallocate(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    const int c = size_class(bytes);
    const std::size_t block = std::size_t{1} << c;
    if (pool_destroyed) flush_allocated(-static_cast<std::ptrdiff_t>(block));
    if (!pool_destroyed) {
        Pool& pool = thread_pool();
        pool.count_in_use(-static_cast<std::ptrdiff_t>(block));
        if (pool.cached.load(std::memory_order_relaxed) + block <= pool.max_cached) {
            pool.free_lists[c] = new (p) FreeBlock{pool.free_lists[c]};
            ++pool.count[c];
            pool.add_cached(static_cast<std::ptrdiff_t>(block));
            return;
        }
    }
    system_free(p);
}

PoolStats pool_stats() {
    if (pool_destroyed) return {};
    const Pool& pool = thread_pool();
    return {pool.cached.load(std::memory_order_relaxed), pool.system_allocations,
            pool.allocated_total};
}

void set_pool_policy(const PoolPolicy& policy) {
    g_min_window.store(policy.min_window_bytes, std::memory_order_relaxed);
    g_window_factor.store(policy.window_factor, std::memory_order_relaxed);
    g_max_cached.store(policy.max_cached_bytes, std::memory_order_relaxed);
    // The calling thread's current window takes the new length at once (tests).
    if (!pool_destroyed) {
        Pool& pool = thread_pool();
        pool.window_served = 0;
        pool.window_length = std::max<std::size_t>(policy.min_window_bytes, 1);
        pool.max_cached = policy.max_cached_bytes;
    }
}

PoolPolicy pool_policy() {
    return {g_min_window.load(std::memory_order_relaxed),
            g_window_factor.load(std::memory_order_relaxed),
            g_max_cached.load(std::memory_order_relaxed)};
}

}  // namespace tg::detail

namespace tg {

namespace detail {
namespace {
/// The bytes in use (the flushed count plus every live thread's unflushed bytes) and the
/// threads' cached bytes.
std::pair<std::size_t, std::size_t> allocated_and_cached() {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    std::size_t allocated = g_allocated.load(std::memory_order_relaxed), cached = 0;
    for (const Pool* pool : r.pools) {
        allocated += static_cast<std::size_t>(pool->unflushed.load(std::memory_order_relaxed));
        cached += pool->cached.load(std::memory_order_relaxed);
    }
    return {allocated, cached};
}
}  // namespace
}  // namespace detail

MemoryStats memory_stats() {
    MemoryStats s;
    std::tie(s.allocated_bytes, s.cached_bytes) = detail::allocated_and_cached();
    detail::raise_peak(s.allocated_bytes);
    s.peak_allocated_bytes = detail::g_peak.load(std::memory_order_relaxed);
    s.system_allocations = detail::g_system_allocations.load(std::memory_order_relaxed);
    s.system_frees = detail::g_system_frees.load(std::memory_order_relaxed);
    return s;
}

void reset_peak_memory_stats() {
    detail::g_peak.store(detail::allocated_and_cached().first, std::memory_order_relaxed);
}

void empty_cache() {
    detail::g_generation.fetch_add(1, std::memory_order_relaxed);
    if (!detail::pool_destroyed) detail::thread_pool().follow_empty_cache();
}

}  // namespace tg
