// tape.gradient(y, {xs...}): gradients returned as tensors, grad() left untouched.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <xtensor/xarray.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xmath.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

xt::xarray<double> val(const tg::Tensor<double>& t) { return t.value(); }

TEST(GradientTest, ReturnsGradientsOfLeaves) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto b = tg::parameter<double>(xt::xarray<double>{3.0, 4.0});
    auto y = tg::sum(a * b + a);
    auto g = tape.gradient(y, {a, b});
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{4.0, 5.0}));  // b + 1
    EXPECT_EQ(val(g[1]), (xt::xarray<double>{1.0, 2.0}));  // a
}

TEST(GradientTest, LeavesGradUntouched) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = tg::sum(w * w);
    auto g = tape.gradient(y, {w});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{2.0, 4.0}));
    EXPECT_FALSE(w.has_grad());

    // With an existing gradient: unchanged, value and buffer.
    tape.backward(tg::sum(w * 10.0));
    ASSERT_EQ(val(w.grad()), (xt::xarray<double>{10.0, 10.0}));
    auto y2 = tg::sum(w * w * w);
    auto g2 = tape.gradient(y2, {w});
    EXPECT_EQ(val(g2[0]), (xt::xarray<double>{3.0, 12.0}));
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{10.0, 10.0}));
}

TEST(GradientTest, OnlyRequestedLeavesAreComputedAndNoneIsWritten) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{2.0});
    auto b = tg::parameter<double>(xt::xarray<double>{5.0});
    auto y = tg::sum(a * b);
    auto g = tape.gradient(y, {b});
    EXPECT_DOUBLE_EQ(g[0].item(), 2.0);
    EXPECT_FALSE(a.has_grad());
    EXPECT_FALSE(b.has_grad());
}

TEST(GradientTest, WithRespectToIntermediateResult) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.5, -1.0});
    auto h = w * 2.0;  // intermediate
    auto y = tg::sum(tg::exp(h));
    auto g = tape.gradient(y, {h});
    EXPECT_NEAR(g[0].value()(0), std::exp(1.0), 1e-12);
    EXPECT_NEAR(g[0].value()(1), std::exp(-2.0), 1e-12);
    EXPECT_FALSE(w.has_grad());
}

TEST(GradientTest, IntermediateUsedTwiceGetsBothContributions) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{3.0});
    auto h = tg::exp(w);
    auto y = tg::sum(h * h + h);  // dy/dh = 2h + 1
    auto g = tape.gradient(y, {h});
    EXPECT_NEAR(g[0].item(), 2 * std::exp(3.0) + 1, 1e-9);
}

TEST(GradientTest, LeafAndIntermediateTogether) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.5});
    auto h = tg::square(w);
    auto y = tg::sum(tg::sigmoid(h));
    auto g = tape.gradient(y, {w, h});
    const double s = 1.0 / (1.0 + std::exp(-2.25));
    const double dh = s * (1 - s);
    EXPECT_NEAR(g[1].item(), dh, 1e-14);
    EXPECT_NEAR(g[0].item(), dh * 3.0, 1e-14);
}

TEST(GradientTest, UnusedInputGivesZerosOfItsShape) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto unused = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    auto y = tg::sum(a * a);
    auto g = tape.gradient(y, {a, unused});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{2.0, 4.0}));
    ASSERT_TRUE(g[1].defined());
    EXPECT_EQ(g[1].shape(), (tg::Shape{2, 3}));
    EXPECT_EQ(val(g[1]), (xt::zeros<double>({2, 3})));
}

TEST(GradientTest, UnusedIntermediateAndConstantGiveZeros) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto other = tg::exp(a);  // recorded, but y does not depend on it
    auto y = tg::sum(a * 3.0);
    tg::Tensor<double> constant{7.0, 8.0, 9.0};
    auto g = tape.gradient(y, {other, constant});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{0.0, 0.0}));
    EXPECT_EQ(val(g[1]), (xt::xarray<double>{0.0, 0.0, 0.0}));
}

TEST(GradientTest, AllowUnusedLeavesUnreachedInputsUndefined) {
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto unused = tg::parameter<double>(xt::xarray<double>{3.0});
    auto other = tg::exp(a);  // recorded, but y does not depend on it
    auto zero_slope = tg::parameter<double>(xt::xarray<double>{4.0});
    auto y = tg::sum(a * a) + tg::sum(zero_slope * 0.0);  // reached, with a zero gradient
    tg::BackwardOptions options;
    options.allow_unused = true;
    auto g = tape.gradient(y, {a, unused, other, zero_slope}, options);
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{2.0, 4.0}));
    EXPECT_FALSE(g[1].defined());
    EXPECT_FALSE(g[2].defined());
    ASSERT_TRUE(g[3].defined());  // reached: a gradient, even though it is 0
    EXPECT_EQ(val(g[3]), (xt::xarray<double>{0.0}));
}

TEST(GradientTest, WithSeed) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = w * w * w;  // dy_i/dw_i = 3 w_i²
    auto g = tape.gradient(y, {w}, tg::Tensor<double>{1.0, -1.0});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{3.0, -12.0}));
}

TEST(GradientTest, ReleasesUnlessRetainGraph) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{2.0});
    auto y = tg::sum(w * w);
    auto g1 = tape.gradient(y, {w}, tg::BackwardOptions{true});
    EXPECT_EQ(tape.size(), 2u);
    auto g2 = tape.gradient(y, {w});
    EXPECT_DOUBLE_EQ(g1[0].item(), 4.0);
    EXPECT_DOUBLE_EQ(g2[0].item(), 4.0);  // not accumulated: each call stands alone
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_THROW(tape.gradient(y, {w}), tg::GraphError);
}

TEST(GradientTest, SameLeafListedTwiceGetsItsGradientTwice) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = tg::sum(w * w);
    auto g = tape.gradient(y, {w, w});
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{2.0, 4.0}));
    EXPECT_EQ(val(g[1]), (xt::xarray<double>{2.0, 4.0}));
}

TEST(GradientTest, SameIntermediateListedTwiceGetsItsGradientTwice) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto h = w * 2.0;
    auto y = tg::sum(h * h);
    auto g = tape.gradient(y, {h, h});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{4.0, 8.0}));
    EXPECT_EQ(val(g[1]), (xt::xarray<double>{4.0, 8.0}));
}

TEST(GradientTest, RetainedGradientWrtIntermediateDoesNotDisturbLaterBackward) {
    // gradient(y, {h}) may stop at h's entry; a later sweep over the retained entries must
    // start clean and give exactly dy/dw.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto a = w * w;    // entry 0, below the target
    auto h = a * 0.5;  // entry 1: the intermediate target, h = w²/2
    auto y = tg::sum(tg::exp(h));
    auto gh = tape.gradient(y, {h}, tg::BackwardOptions{/*retain_graph=*/true});
    const xt::xarray<double> expected_gh = xt::exp(xt::xarray<double>{0.5, 2.0});
    EXPECT_TRUE(xt::allclose(val(gh[0]), expected_gh));

    tape.backward(y);
    // dy/dw = dy/dh · w
    const xt::xarray<double> expected_gw = expected_gh * xt::xarray<double>{1.0, 2.0};
    EXPECT_TRUE(xt::allclose(val(w.grad()), expected_gw))
        << "w.grad() = " << val(w.grad()) << ", expected " << expected_gw;
}

TEST(GradientTest, RetainedGradientWrtIntermediateDoesNotDisturbLaterGradient) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.5});
    auto a = w * w;       // entry 0, below the target
    auto h = tg::exp(a);  // entry 1: the intermediate target
    auto y = tg::sum(h * 2.0);
    auto gh = tape.gradient(y, {h}, tg::BackwardOptions{true});
    EXPECT_DOUBLE_EQ(gh[0].item(), 2.0);
    // dy/dw = 2 exp(w²) 2w
    const double expected = 2.0 * std::exp(0.25) * 2.0 * 0.5;
    auto gw = tape.gradient(y, {w}, tg::BackwardOptions{true});
    EXPECT_NEAR(gw[0].item(), expected, 1e-12);
    auto gw2 = tape.gradient(y, {w});
    EXPECT_NEAR(gw2[0].item(), expected, 1e-12);
}

TEST(GradientTest, GradientOfLeafWithRespectToItself) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto g = tape.gradient(w, {w}, tg::Tensor<double>{3.0, 4.0});
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{3.0, 4.0}));
    EXPECT_FALSE(w.has_grad());
}

}  // namespace
