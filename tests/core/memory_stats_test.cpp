// tg::memory_stats, tg::empty_cache and the pool's window rule (core/src/pool.cpp): the
// counters move by whole blocks, the cache goes back on request, and a step whose working
// set exceeds any fixed cap stops asking the system for memory once warm.

#include <tapegrad/detail/pool.hpp>
#include <tapegrad/memory.hpp>

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

using tg::detail::pool_allocate;
using tg::detail::pool_deallocate;
using tg::detail::pool_stats;

/// Sets a pool policy for one test and restores the default after it.
struct PolicyScope {
    explicit PolicyScope(const tg::detail::PoolPolicy& p) { tg::detail::set_pool_policy(p); }
    ~PolicyScope() { tg::detail::set_pool_policy({}); }
};

TEST(MemoryStatsTest, CountersMoveByWholeBlocks) {
    tg::empty_cache();
    const tg::MemoryStats s0 = tg::memory_stats();
    void* p = pool_allocate(1000);  // the 1024-byte class; the cache is empty: a miss
    const tg::MemoryStats s1 = tg::memory_stats();
    EXPECT_EQ(s1.allocated_bytes, s0.allocated_bytes + 1024);
    EXPECT_EQ(s1.system_allocations, s0.system_allocations + 1);
    EXPECT_GE(s1.peak_allocated_bytes, s1.allocated_bytes);
    pool_deallocate(p, 1000);
    const tg::MemoryStats s2 = tg::memory_stats();
    EXPECT_EQ(s2.allocated_bytes, s0.allocated_bytes);
    EXPECT_EQ(s2.cached_bytes, s0.cached_bytes + 1024);
    EXPECT_EQ(s2.system_frees, s0.system_frees);
    void* q = pool_allocate(1024);  // served from the cache
    EXPECT_EQ(tg::memory_stats().system_allocations, s1.system_allocations);
    pool_deallocate(q, 1024);
}

TEST(MemoryStatsTest, ResetPeakStartsAtTheBytesInUse) {
    void* big = pool_allocate(std::size_t{1} << 20);
    pool_deallocate(big, std::size_t{1} << 20);
    const tg::MemoryStats before = tg::memory_stats();
    EXPECT_GE(before.peak_allocated_bytes, before.allocated_bytes + (std::size_t{1} << 20));
    tg::reset_peak_memory_stats();
    EXPECT_EQ(tg::memory_stats().peak_allocated_bytes, tg::memory_stats().allocated_bytes);
    void* small = pool_allocate(64);
    EXPECT_EQ(tg::memory_stats().peak_allocated_bytes, before.allocated_bytes + 64);
    pool_deallocate(small, 64);
}

TEST(MemoryStatsTest, EmptyCacheReturnsTheCachedBlocks) {
    tg::empty_cache();
    std::vector<void*> blocks;
    for (int i = 0; i < 3; ++i) blocks.push_back(pool_allocate(4096));
    for (void* p : blocks) pool_deallocate(p, 4096);
    const tg::MemoryStats cached = tg::memory_stats();
    EXPECT_EQ(pool_stats().cached_bytes, 3u * 4096);
    tg::empty_cache();
    EXPECT_EQ(pool_stats().cached_bytes, 0u);
    EXPECT_EQ(tg::memory_stats().cached_bytes, cached.cached_bytes - 3 * 4096);
    EXPECT_EQ(tg::memory_stats().system_frees, cached.system_frees + 3);
}

TEST(MemoryStatsTest, BlockFreedOnAnotherThreadLeavesTheAllocatedCount) {
    tg::empty_cache();
    const tg::MemoryStats s0 = tg::memory_stats();
    void* p = nullptr;
    std::thread worker([&] { p = pool_allocate(8192); });  // as DataParallel's workers do
    worker.join();
    EXPECT_EQ(tg::memory_stats().allocated_bytes, s0.allocated_bytes + 8192);
    pool_deallocate(p, 8192);  // into this thread's cache
    EXPECT_EQ(tg::memory_stats().allocated_bytes, s0.allocated_bytes);
    EXPECT_EQ(pool_stats().cached_bytes, 8192u);
}

TEST(MemoryStatsTest, EmptyCacheOnAnotherThreadEmptiesThisOneAtItsNextAllocation) {
    pool_deallocate(pool_allocate(4096), 4096);
    ASSERT_GT(pool_stats().cached_bytes, 0u);
    std::thread other([] { tg::empty_cache(); });
    other.join();
    pool_deallocate(pool_allocate(64), 64);  // the allocation empties, the free caches
    EXPECT_EQ(pool_stats().cached_bytes, 64u);
}

constexpr std::size_t kBlock = std::size_t{64} << 10;

/// A training step in the README's loop order, in blocks of 64 KiB: zero_grad drops the
/// 16 gradients, the forward allocates 32 activations, the backward 16 new gradients
/// and frees the activations. Returns the system allocations it made.
std::size_t zero_grad_first_step(std::vector<void*>& grads) {
    const std::size_t before = pool_stats().system_allocations;
    for (void* g : grads) pool_deallocate(g, kBlock);
    grads.clear();
    std::vector<void*> activations;
    for (int i = 0; i < 32; ++i) activations.push_back(pool_allocate(kBlock));
    for (int i = 0; i < 16; ++i) grads.push_back(pool_allocate(kBlock));
    for (void* a : activations) pool_deallocate(a, kBlock);
    return pool_stats().system_allocations - before;
}

TEST(MemoryStatsTest, FixedCapBelowTheWorkingSetAllocatesEveryStep) {
    // The rule before windows, at a small scale: a 1 MiB cap against a step that frees
    // 3 MiB. This is the cliff the window rule removes (the next test).
    tg::empty_cache();
    PolicyScope policy({/*min_window_bytes=*/std::size_t{1} << 20, /*window_factor=*/4,
                        /*max_cached_bytes=*/std::size_t{1} << 20});
    std::vector<void*> grads;
    for (int i = 0; i < 5; ++i) zero_grad_first_step(grads);
    // The cache holds 16 blocks when the step begins; the dropped gradients find it full,
    // so 16 activations and the 16 new gradients come from the system.
    EXPECT_EQ(zero_grad_first_step(grads), 32u);
    for (void* g : grads) pool_deallocate(g, kBlock);
}

TEST(MemoryStatsTest, WindowRuleStopsAllocatingOnceWarmWhateverTheWorkingSet) {
    tg::empty_cache();
    PolicyScope policy({/*min_window_bytes=*/std::size_t{1} << 20, /*window_factor=*/4,
                        /*max_cached_bytes=*/~std::size_t{0}});
    std::vector<void*> grads;
    for (int i = 0; i < 5; ++i) zero_grad_first_step(grads);
    std::size_t fresh = 0;
    for (int i = 0; i < 50; ++i) fresh += zero_grad_first_step(grads);  // many windows
    EXPECT_EQ(fresh, 0u);
    for (void* g : grads) pool_deallocate(g, kBlock);
}

TEST(MemoryStatsTest, CacheShrinksToASmallerWorkingSet) {
    tg::empty_cache();
    PolicyScope policy({/*min_window_bytes=*/std::size_t{1} << 20, /*window_factor=*/4,
                        /*max_cached_bytes=*/~std::size_t{0}});
    std::vector<void*> grads;
    for (int i = 0; i < 5; ++i) zero_grad_first_step(grads);
    for (void* g : grads) pool_deallocate(g, kBlock);
    ASSERT_EQ(pool_stats().cached_bytes, 48 * kBlock);
    const std::size_t frees = tg::memory_stats().system_frees;
    // Now each step needs one block: after at most two windows (each at most 4 x the
    // 3 MiB footprint) the 47 idle blocks are gone.
    for (int i = 0; i < 400; ++i) pool_deallocate(pool_allocate(kBlock), kBlock);
    EXPECT_EQ(pool_stats().cached_bytes, kBlock);
    EXPECT_EQ(tg::memory_stats().system_frees, frees + 47);
}

}  // namespace
