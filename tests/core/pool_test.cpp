// The per-thread buffer pool: freed blocks are reused, so repeated identical training
// steps stop asking the system for memory after warm-up.

#include <tapegrad/detail/pool.hpp>
#include <tapegrad/memory.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xrandom.hpp>

namespace {

using tg::detail::pool_stats;

TEST(PoolTest, BlocksAreAlignedAndReused) {
    tg::empty_cache();  // start with empty free lists
    void* p = tg::detail::pool_allocate(100);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
    const auto before = pool_stats();
    tg::detail::pool_deallocate(p, 100);
    const auto cached = pool_stats();
    EXPECT_EQ(cached.cached_bytes, before.cached_bytes + 128);  // the 128-byte size class
    void* q = tg::detail::pool_allocate(120);                   // same size class
    EXPECT_EQ(q, p);
    EXPECT_EQ(pool_stats().system_allocations, cached.system_allocations);
    EXPECT_EQ(pool_stats().cached_bytes, before.cached_bytes);
    tg::detail::pool_deallocate(q, 120);
}

TEST(PoolTest, TensorBuffersComeBackToThePool) {
    { tg::Tensor<double> a(xt::zeros<double>({1000})); }
    const auto after_first = pool_stats();
    EXPECT_GE(after_first.cached_bytes, 8192u);
    for (int i = 0; i < 10; ++i) {
        tg::Tensor<double> b(xt::ones<double>({1000}));
        EXPECT_DOUBLE_EQ(b.value()(999), 1.0);
    }
    EXPECT_EQ(pool_stats().system_allocations, after_first.system_allocations);
}

TEST(PoolTest, ReleaseReturnsCachedBlocks) {
    { tg::Tensor<double> a(xt::zeros<double>({500})); }
    EXPECT_GT(pool_stats().cached_bytes, 0u);
    tg::empty_cache();
    EXPECT_EQ(pool_stats().cached_bytes, 0u);
    // Still usable afterwards.
    tg::Tensor<double> b(xt::ones<double>({500}));
    EXPECT_DOUBLE_EQ(b.value()(0), 1.0);
}

TEST(PoolTest, EachThreadHasItsOwnPool) {
    { tg::Tensor<double> a(xt::zeros<double>({300})); }
    ASSERT_GT(pool_stats().cached_bytes, 0u);
    std::size_t other_cached = 1;
    std::size_t other_allocations = 1;
    std::thread t([&] {
        const auto s = pool_stats();
        other_cached = s.cached_bytes;
        other_allocations = s.system_allocations;
    });
    t.join();
    EXPECT_EQ(other_cached, 0u);
    EXPECT_EQ(other_allocations, 0u);
}

/// A small two-layer regression network trained with plain gradient descent.
struct Mlp {
    tg::Tensor<double> x, y, w1, b1, w2, b2;

    Mlp() {
        xt::random::seed(7);
        x = tg::Tensor<double>(xt::random::randn<double>({32, 4}));
        y = tg::Tensor<double>(xt::random::randn<double>({32, 1}));
        w1 = tg::parameter<double>(xt::random::randn<double>({16, 4}) * 0.5);
        b1 = tg::parameter<double>(xt::zeros<double>({16}));
        w2 = tg::parameter<double>(xt::random::randn<double>({1, 16}) * 0.5);
        b2 = tg::parameter<double>(xt::zeros<double>({1}));
    }

    double step(tg::Tape& tape) {
        auto h = tg::tanh(tg::linear(x, w1, b1));
        auto out = tg::linear(h, w2, b2);
        auto loss = tg::mean(tg::square(out - y));
        tape.backward(loss);
        tg::NoGradGuard no_grad;
        for (auto* p : {&w1, &b1, &w2, &b2}) {
            p->mutable_value() -= 0.05 * p->grad().value();
            p->zero_grad();
        }
        return loss.item();
    }
};

TEST(PoolTest, TrainingStepsStopAllocatingAfterWarmUpWithOneTape) {
    Mlp net;
    tg::Tape tape;
    double first = net.step(tape);
    for (int i = 0; i < 4; ++i) net.step(tape);
    const auto warm = pool_stats();
    double last = 0.0;
    for (int i = 0; i < 20; ++i) last = net.step(tape);
    EXPECT_EQ(pool_stats().system_allocations, warm.system_allocations);
    EXPECT_LT(last, first);  // it did train
}

TEST(PoolTest, TrainingStepsStopAllocatingAfterWarmUpWithTapePerStep) {
    Mlp net;
    auto step = [&] {
        tg::Tape tape;
        return net.step(tape);
    };
    for (int i = 0; i < 5; ++i) step();
    const auto warm = pool_stats();
    for (int i = 0; i < 20; ++i) step();
    EXPECT_EQ(pool_stats().system_allocations, warm.system_allocations);
}

TEST(PoolTest, StepWithManyLiveSmallBuffersStopsAllocatingAfterWarmUp) {
    // 200 chained tanh ops on a 4-vector: each saves its 32-byte output, so a step keeps
    // 200+ blocks of the smallest size class alive until backward releases them.
    auto w = tg::parameter<double>(xt::ones<double>({4}) * 0.1);
    auto step = [&] {
        tg::Tape tape;
        tg::Tensor<double> h = w;
        for (int i = 0; i < 200; ++i) h = tg::tanh(h);
        tape.backward(tg::sum(h));
        tg::NoGradGuard no_grad;
        w.mutable_value() -= 0.01 * w.grad().value();
        w.zero_grad();
    };
    for (int i = 0; i < 5; ++i) step();
    const auto warm = pool_stats();
    for (int i = 0; i < 10; ++i) step();
    EXPECT_EQ(pool_stats().system_allocations, warm.system_allocations)
        << "system allocations per step after warm-up: "
        << (pool_stats().system_allocations - warm.system_allocations) / 10.0;
}

}  // namespace
