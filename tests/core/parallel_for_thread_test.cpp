// tg::detail::parallel_for, the threads inside one op: every item once, in chunks of at
// least the grain, on more than one thread when tg::blas_threads() > 1; one call on the
// calling thread when the count is 1, when the loop is small, inside a DataParallel worker
// (a TeamMember) and inside another loop; an exception reaches the caller; loops of two
// threads at once both finish.

#include "blas_threads_scope.hpp"
#include "test_helpers.hpp"

#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/detail/team.hpp>
#include <tapegrad/error.hpp>
#include <tapegrad/threads.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using tg::detail::kMinElementsPerThread;
using tg::detail::parallel_for;

using tg::test::BlasThreads;

/// The ranges a loop was called with and the threads that ran them.
struct Calls {
    std::mutex mutex;
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    std::set<std::thread::id> threads;
    void note(std::size_t begin, std::size_t end) {
        std::lock_guard<std::mutex> lock(mutex);
        ranges.emplace_back(begin, end);
        threads.insert(std::this_thread::get_id());
    }
};

TEST(ParallelFor, CoversEveryItemOnceOnTwoThreads) {
    BlasThreads two(2);
    const std::size_t n = 8 * kMinElementsPerThread + 123;
    std::vector<int> hits(n, 0);
    Calls calls;
    const std::size_t loops_before = tg::detail::parallel_loops();
    // Each chunk sleeps 2 ms, so that the helper gets a core to wake on even on a busy
    // machine while the calling thread works through its chunks; a few loops in case not.
    bool helper_ran = false;
    for (int round = 0; round < 5 && !helper_ran; ++round) {
        std::fill(hits.begin(), hits.end(), 0);
        calls.ranges.clear();
        calls.threads.clear();
        parallel_for(n, kMinElementsPerThread, [&](std::size_t begin, std::size_t end) {
            calls.note(begin, end);
            for (std::size_t i = begin; i < end; ++i) ++hits[i];
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        });
        EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
        for (const auto& [begin, end] : calls.ranges) EXPECT_GE(end - begin, kMinElementsPerThread);
        helper_ran = calls.threads.size() == 2;
    }
    EXPECT_TRUE(helper_ran) << "the helper thread never took a chunk in 5 loops";
    EXPECT_GT(tg::detail::parallel_loops(), loops_before);
}

/// Runs one loop of n items and returns its calls.
std::vector<std::pair<std::size_t, std::size_t>> ranges_of(std::size_t n, std::size_t grain) {
    Calls calls;
    parallel_for(n, grain, [&](std::size_t begin, std::size_t end) { calls.note(begin, end); });
    return calls.ranges;
}

using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;

/// A loop that two threads would share runs as one call fn(0, n) here, and splits nothing.
void expect_one_call() {
    const std::size_t n = 8 * kMinElementsPerThread;
    const std::size_t loops_before = tg::detail::parallel_loops();
    EXPECT_EQ(ranges_of(n, kMinElementsPerThread), (Ranges{{0, n}}));
    EXPECT_EQ(tg::detail::parallel_loops(), loops_before);
}

TEST(ParallelFor, OneThreadIsOneCall) {
    BlasThreads one(1);
    expect_one_call();
}

TEST(ParallelFor, SmallLoopsAreOneCall) {
    BlasThreads two(2);
    EXPECT_EQ(ranges_of(2 * kMinElementsPerThread - 1, kMinElementsPerThread),
              (Ranges{{0, 2 * kMinElementsPerThread - 1}}));
    EXPECT_EQ(ranges_of(0, kMinElementsPerThread), Ranges{});
}

TEST(ParallelFor, SerialInsideADataParallelWorker) {
    BlasThreads two(2);
    tg::detail::TeamMember member;
    tg::detail::TeamMemberGuard guard(member);
    expect_one_call();
}

TEST(ParallelFor, NoNesting) {
    BlasThreads two(2);
    const std::size_t n = 8 * kMinElementsPerThread;
    std::atomic<std::size_t> inner_calls{0}, inner_items{0};
    parallel_for(n, kMinElementsPerThread, [&](std::size_t, std::size_t) {
        parallel_for(n, kMinElementsPerThread, [&](std::size_t begin, std::size_t end) {
            ++inner_calls;
            inner_items += end - begin;
        });
    });
    // Each outer chunk ran the inner loop as one call of all n items.
    EXPECT_EQ(inner_items.load(), inner_calls.load() * n);
}

TEST(ParallelFor, AnExceptionReachesTheCaller) {
    BlasThreads two(2);
    const std::size_t n = 8 * kMinElementsPerThread;
    const std::string message = tg::test::error_message<std::runtime_error>([&] {
        parallel_for(n, kMinElementsPerThread, [&](std::size_t begin, std::size_t) {
            if (begin == 0) throw std::runtime_error("chunk 0 failed");
        });
    });
    EXPECT_EQ(message, "chunk 0 failed");
    // The pool is free again.
    std::atomic<std::size_t> items{0};
    parallel_for(n, kMinElementsPerThread,
                 [&](std::size_t begin, std::size_t end) { items += end - begin; });
    EXPECT_EQ(items.load(), n);
}

TEST(ParallelFor, LoopsOfTwoThreadsAtOnce) {
    BlasThreads two(2);
    const std::size_t n = 16 * kMinElementsPerThread;
    std::vector<std::vector<float>> out(2, std::vector<float>(n, 0.0f));
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 20; ++round)
                parallel_for(n, kMinElementsPerThread, [&](std::size_t begin, std::size_t end) {
                    for (std::size_t i = begin; i < end; ++i) out[t][i] += 1.0f;
                });
        });
    for (std::thread& th : threads) th.join();
    for (const auto& o : out)
        EXPECT_TRUE(std::all_of(o.begin(), o.end(), [](float v) { return v == 20.0f; }));
}

}  // namespace
