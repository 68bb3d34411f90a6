#include <tapegrad/detail/pool.hpp>

#include <cstdlib>
#include <vector>

namespace tg::detail {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr int kMinClass = 6;  // 64 bytes
constexpr int kClasses = 40;  // up to 2^45 bytes
// Freed blocks are kept until the thread caches this many bytes; beyond, they go back to
// the system (pool_release() empties the cache).
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;

int size_class(std::size_t bytes) {
    int c = kMinClass;
    while ((std::size_t{1} << c) < bytes) ++c;
    return c;
}

struct Pool {
    std::vector<void*> free_lists[kClasses];
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
    for (auto& list : pool.free_lists) {
        for (void* p : list) std::free(p);
        list.clear();
    }
    pool.stats.cached_bytes = 0;
}

Pool::~Pool() {
    release_all(*this);
    pool_destroyed = true;
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
    if (bytes == 0) bytes = 1;
    const int c = size_class(bytes);
    const std::size_t block = std::size_t{1} << c;
    if (!pool_destroyed) {
        Pool& pool = thread_pool();
        auto& list = pool.free_lists[c];
        if (!list.empty()) {
            void* p = list.back();
            list.pop_back();
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
    if (bytes == 0) bytes = 1;
    if (!pool_destroyed) {
        const int c = size_class(bytes);
        Pool& pool = thread_pool();
        auto& list = pool.free_lists[c];
        if (pool.stats.cached_bytes + (std::size_t{1} << c) <= kMaxCachedBytes) {
            try {
                list.push_back(p);
                pool.stats.cached_bytes += std::size_t{1} << c;
                return;
            } catch (...) {}
        }
    }
    std::free(p);
}

PoolStats pool_stats() { return pool_destroyed ? PoolStats{} : thread_pool().stats; }

void pool_release() {
    if (!pool_destroyed) release_all(thread_pool());
}

}  // namespace tg::detail
