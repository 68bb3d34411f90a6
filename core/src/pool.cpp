#include <tapegrad/detail/pool.hpp>

#include <cstdlib>
#include <new>

namespace tg::detail {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr int kMinClass = 6;  // 64 bytes
constexpr int kClasses = 40;  // free lists indexed by class: pooled blocks up to 2^39 bytes
// Freed blocks are kept until the thread caches this many bytes; beyond, they go back to
// the system (pool_release() empties the cache).
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;

/// The power of two a block of `bytes` is served from: 2^c >= bytes, c >= kMinClass.
int size_class(std::size_t bytes) {
    if (bytes <= (std::size_t{1} << kMinClass)) return kMinClass;
    return 64 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));
}

/// A cached block: its first bytes link it to the next free block of its class.
struct FreeBlock {
    FreeBlock* next;
};

struct Pool {
    FreeBlock* free_lists[kClasses] = {};
    PoolStats stats;
    ~Pool();
};

// Set once the thread's pool is destroyed, so that buffers freed later (by objects with
// static storage duration) go straight back to the system.
thread_local bool pool_destroyed = false;

Pool& thread_pool() {
    thread_local Pool pool;
    return pool;
}

void release_all(Pool& pool) {
    for (FreeBlock*& list : pool.free_lists) {
        while (list) {
            FreeBlock* next = list->next;
            std::free(list);
            list = next;
        }
    }
    pool.stats.cached_bytes = 0;
}

Pool::~Pool() {
    release_all(*this);
    pool_destroyed = true;
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
    const int c = size_class(bytes);
    if (c >= kClasses) throw std::bad_alloc();  // 2^40 bytes or more: no machine has them
    const std::size_t block = std::size_t{1} << c;
    if (!pool_destroyed) {
        Pool& pool = thread_pool();
        if (FreeBlock* p = pool.free_lists[c]) {
            pool.free_lists[c] = p->next;
            pool.stats.cached_bytes -= block;
            return p;
        }
        ++pool.stats.system_allocations;
    }
    void* p = std::aligned_alloc(kAlignment, block);
    if (!p) throw std::bad_alloc();
    return p;
}

void pool_deallocate(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    if (!pool_destroyed) {
        const int c = size_class(bytes);
        const std::size_t block = std::size_t{1} << c;
        Pool& pool = thread_pool();
        if (pool.stats.cached_bytes + block <= kMaxCachedBytes) {
            pool.free_lists[c] = new (p) FreeBlock{pool.free_lists[c]};
            pool.stats.cached_bytes += block;
            return;
        }
    }
    std::free(p);
}

PoolStats pool_stats() { return pool_destroyed ? PoolStats{} : thread_pool().stats; }

void pool_release() {
    if (!pool_destroyed) release_all(thread_pool());
}

}  // namespace tg::detail
