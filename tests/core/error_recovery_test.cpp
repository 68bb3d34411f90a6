// Nothing is left half-updated after an error: leaf gradients stay as they were, the
// entries stay intact with retain_graph (without it, those whose backward ran are
// released), and the tape runs backward again once the cause is removed.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <xtensor/xarray.hpp>
#include <xtensor/xio.hpp>

namespace {

using tg::test::error_message;

xt::xarray<double> val(const tg::Tensor<double>& t) { return t.value(); }

TEST(ErrorRecoveryTest, VersionErrorMidSweepLeavesLeafGradsUnchanged) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto b = tg::parameter<double>(xt::xarray<double>{0.5});
    tape.backward(tg::sum(w * 3.0) + tg::sum(b * 7.0));
    ASSERT_EQ(val(w.grad()), (xt::xarray<double>{3.0, 3.0}));
    ASSERT_EQ(val(b.grad()), (xt::xarray<double>{7.0}));

    auto lw = tg::sum(w * w);       // entries 0, 1: mul saves w
    auto lb = tg::sum(tg::exp(b));  // entries 2, 3
    auto loss = lw + lb;            // entry 4
    ASSERT_EQ(tape.size(), 5u);
    w.assign(tg::Array<double>{-1.0, -2.0});

    // The sweep reaches b (entry 2) before it fails at entry 0.
    EXPECT_THROW(tape.backward(loss, tg::BackwardOptions{true}), tg::GraphError);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{3.0, 3.0}));
    EXPECT_EQ(val(b.grad()), (xt::xarray<double>{7.0}));
    EXPECT_EQ(tape.size(), 5u);

    // The part of the graph that is still valid runs, and b gets exactly one exp(b); it
    // releases the entries it ran (3 and 2).
    tape.backward(lb);
    EXPECT_DOUBLE_EQ(b.grad().item(), 7.0 + std::exp(0.5));
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{3.0, 3.0}));
    EXPECT_EQ(tape.size(), 3u);

    // Without retain_graph a failed sweep has released the entries whose backward ran
    // (entry 1) and entry 0, which only entry 1 reached; entry 4 (loss's) stays.
    EXPECT_THROW(tape.backward(lw), tg::GraphError);
    EXPECT_EQ(tape.size(), 1u);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{3.0, 3.0}));
    EXPECT_DOUBLE_EQ(b.grad().item(), 7.0 + std::exp(0.5));
}

TEST(ErrorRecoveryTest, FailedSweepLeavesNoGradientOnEntries) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto u = tg::parameter<double>(xt::xarray<double>{3.0, 4.0});
    tg::Tensor<double> x{5.0, 6.0};
    auto a = w + 1.0;      // entry 0 (saves nothing)
    auto m = u * x;        // entry 1 (saves u and x)
    auto s1 = tg::sum(a);  // entry 2: sends a gradient to entry 0
    auto s2 = tg::sum(m);  // entry 3
    auto loss = s1 + s2;   // entry 4
    x.mutable_value()(0) = 0.0;
    // Reverse order: 4, 3, 2 (entry 0 now holds a gradient), 1 fails.
    EXPECT_THROW(tape.backward(loss, tg::BackwardOptions{true}), tg::GraphError);
    EXPECT_FALSE(w.has_grad());
    EXPECT_FALSE(u.has_grad());

    // A new sweep through entry 0 must not see the failed sweep's leftovers.
    tape.backward(s1, tg::BackwardOptions{true});
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{1.0, 1.0}));
    auto g = tape.gradient(s1, {w});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{1.0, 1.0}));
}

TEST(ErrorRecoveryTest, AnomalyMidSweepThenRunAgainWithoutAnomalyMode) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.0, 4.0});
    auto v = tg::parameter<double>(xt::xarray<double>{2.0});
    auto loss = tg::sum(tg::sqrt(w)) + tg::sum(v * v);
    {
        tg::DetectAnomalyGuard guard;
        EXPECT_THROW(tape.backward(loss, tg::BackwardOptions{true}), tg::AnomalyError);
    }
    EXPECT_FALSE(w.has_grad());
    EXPECT_FALSE(v.has_grad());  // v's gradient was computed first, but not written
    tape.backward(loss, tg::BackwardOptions{true});
    EXPECT_DOUBLE_EQ(v.grad().item(), 4.0);
    EXPECT_TRUE(std::isinf(w.grad().value()(0)));
    EXPECT_DOUBLE_EQ(w.grad().value()(1), 0.25);
    // And once more: plain accumulation.
    tape.backward(loss);
    EXPECT_DOUBLE_EQ(v.grad().item(), 8.0);
}

TEST(ErrorRecoveryTest, FailedCreateGraphSweepRemovesWhatItRecorded) {
    tg::Tape tape;
    auto u = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    tg::Tensor<double> x{3.0, 4.0};
    auto m = u * x;          // entry 0
    auto e = tg::exp(m);     // entry 1: its backward (grad · e) is recorded under create_graph
    auto loss = tg::sum(e);  // entry 2
    ASSERT_EQ(tape.size(), 3u);
    x.mutable_value() += 1.0;
    tg::BackwardOptions options;
    options.create_graph = true;
    EXPECT_THROW(tape.backward(loss, options), tg::GraphError);
    EXPECT_EQ(tape.size(), 3u);
    EXPECT_FALSE(u.has_grad());
}

TEST(ErrorRecoveryTest, FailedGradientCallDoesNotAffectLaterCalls) {
    // An undefined input is reported after earlier inputs were already prepared; the
    // next call must behave as if the failed one never happened.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto v = tg::parameter<double>(xt::xarray<double>{3.0});
    auto y = tg::sum(w * w) + tg::sum(v * 5.0);
    EXPECT_THROW(tape.gradient(y, {w, tg::Tensor<double>()}, tg::BackwardOptions{true}),
                 tg::ValueError);
    auto g = tape.gradient(y, {w}, tg::BackwardOptions{true});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{2.0, 4.0}));
    auto g2 = tape.gradient(y, {v, w});
    EXPECT_EQ(val(g2[0]), (xt::xarray<double>{5.0}));
    EXPECT_EQ(val(g2[1]), (xt::xarray<double>{2.0, 4.0}));
}

TEST(ErrorRecoveryTest, FailedVersionCheckInGradientDoesNotAffectLaterCalls) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto u = tg::parameter<double>(xt::xarray<double>{3.0});
    tg::Tensor<double> x{2.0};
    auto y1 = tg::sum(w * w);  // entries 0, 1
    auto y2 = tg::sum(u * x);  // entries 2, 3
    auto y = y1 + y2;          // entry 4
    x.mutable_value()(0) = 9.0;
    EXPECT_THROW(tape.gradient(y, {w, u}, tg::BackwardOptions{true}), tg::GraphError);
    auto g = tape.gradient(y1, {u, w}, tg::BackwardOptions{true});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{0.0}));
    EXPECT_EQ(val(g[1]), (xt::xarray<double>{2.0, 4.0}));
    tape.backward(y1);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{2.0, 4.0}));
    EXPECT_FALSE(u.has_grad());
}

TEST(ErrorRecoveryTest, ShapeErrorInForwardRecordsNothing) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto b = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    auto ok = a * 2.0;
    ASSERT_EQ(tape.size(), 1u);
    EXPECT_THROW((void)(a + b), tg::ShapeError);
    EXPECT_THROW((void)(a * b), tg::ShapeError);
    EXPECT_EQ(tape.size(), 1u);
    tape.backward(tg::sum(ok));
    EXPECT_EQ(val(a.grad()), (xt::xarray<double>{2.0, 2.0}));
}

}  // namespace
