// tg::Tape: what is recorded, how backward accumulates, when entries are released.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

xt::xarray<double> grad_of(const tg::Tensor<double>& t) { return t.grad().value(); }

TEST(TapeSemanticsTest, TapeIsActiveWhileAlive) {
    EXPECT_EQ(tg::Tape::active(), nullptr);
    {
        tg::Tape tape;
        EXPECT_EQ(tg::Tape::active(), &tape);
    }
    EXPECT_EQ(tg::Tape::active(), nullptr);
}

TEST(TapeSemanticsTest, RecordsOneEntryPerPrimitiveOp) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    EXPECT_EQ(tape.size(), 0u);
    auto y = tg::exp(w);
    EXPECT_EQ(tape.size(), 1u);
    auto z = y * w;
    EXPECT_EQ(tape.size(), 2u);
    auto s = tg::sum(z);
    EXPECT_EQ(tape.size(), 3u);
    EXPECT_TRUE(s.requires_grad());
    EXPECT_FALSE(s.is_leaf());
}

TEST(TapeSemanticsTest, OpsOnConstantsRecordNothing) {
    tg::Tape tape;
    tg::Tensor<double> a{1.0, 2.0};
    tg::Tensor<double> b{3.0, 4.0};
    auto c = tg::sum(tg::exp(a * b + 1.0));
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_FALSE(c.requires_grad());
    EXPECT_TRUE(c.is_leaf());
}

TEST(TapeSemanticsTest, NoTapeRecordsNothing) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = tg::sum(tg::tanh(w * w));
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    EXPECT_NEAR(y.item(), std::tanh(1.0) + std::tanh(4.0), 1e-15);
}

TEST(TapeSemanticsTest, NoGradGuardRecordsNothing) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    {
        tg::NoGradGuard no_grad;
        EXPECT_FALSE(tg::is_grad_enabled());
        auto y = tg::sum(tg::exp(w * w));
        EXPECT_EQ(tape.size(), 0u);
        EXPECT_FALSE(y.requires_grad());
        {
            tg::NoGradGuard nested;
            auto z = w * 2.0;
            EXPECT_FALSE(z.requires_grad());
        }
        EXPECT_FALSE(tg::is_grad_enabled());  // the inner guard restored "disabled"
        auto z = w + w;
        EXPECT_EQ(tape.size(), 0u);
    }
    EXPECT_TRUE(tg::is_grad_enabled());
    auto y = w * w;
    EXPECT_EQ(tape.size(), 1u);
    EXPECT_TRUE(y.requires_grad());
}

TEST(TapeSemanticsTest, BackwardFillsLeafGradients) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    auto x = tg::Tensor<double>{4.0, 5.0, 6.0};
    auto loss = tg::sum(w * x);
    tape.backward(loss);
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{4.0, 5.0, 6.0}));
    EXPECT_FALSE(x.has_grad());
}

TEST(TapeSemanticsTest, TensorUsedTwiceAccumulatesBothContributions) {
    tg::Tape tape;
    auto x = tg::parameter<double>(xt::xarray<double>{3.0});
    // y = x * x + exp(x): dy/dx = 2x + exp(x)
    auto y = tg::sum(x * x + tg::exp(x));
    tape.backward(y);
    EXPECT_NEAR(x.grad().item(), 6.0 + std::exp(3.0), 1e-12);
}

TEST(TapeSemanticsTest, IntermediateUsedTwiceAccumulatesBothContributions) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.5, -1.0});
    auto h = tg::tanh(w);
    // loss = Σ h·h + 3 h  =>  d/dw = (2h + 3) (1 - h²)
    auto loss = tg::sum(h * h + h * 3.0);
    tape.backward(loss);
    for (std::size_t i = 0; i < 2; ++i) {
        const double hv = std::tanh(w.value()(i));
        EXPECT_NEAR(w.grad().value()(i), (2 * hv + 3) * (1 - hv * hv), 1e-12);
    }
}

TEST(TapeSemanticsTest, BackwardReleasesEntries) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    ASSERT_EQ(tape.size(), 2u);
    tape.backward(loss);
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_EQ(tape.bytes(), 0u);
}

TEST(TapeSemanticsTest, RetainGraphKeepsEntriesAndAllowsSecondBackward) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    tape.backward(loss, tg::BackwardOptions{/*retain_graph=*/true});
    EXPECT_EQ(tape.size(), 2u);
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{2.0, 4.0}));
    tape.backward(loss);
    EXPECT_EQ(tape.size(), 0u);
    // Both calls accumulated.
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{4.0, 8.0}));
}

TEST(TapeSemanticsTest, SecondBackwardWithoutRetainGraphIsClearError) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    tape.backward(loss);
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(msg, "released"));
    EXPECT_TRUE(contains(msg, "retain_graph"));
    // The first backward's gradient is untouched by the failed one.
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{2.0, 4.0}));
    // Same through Tensor::backward.
    const std::string msg2 = error_message<tg::GraphError>([&] { loss.backward(); });
    EXPECT_TRUE(contains(msg2, "retain_graph"));
}

TEST(TapeSemanticsTest, GradientsAccumulateOverSeparateForwardPassesUntilZeroGrad) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, -2.0});
    auto step = [&] { tape.backward(tg::sum(w * w * 0.5)); };  // d/dw = w
    step();
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{1.0, -2.0}));
    step();
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{2.0, -4.0}));
    step();
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{3.0, -6.0}));
    w.zero_grad();
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{0.0, 0.0}));
    step();
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{1.0, -2.0}));
}

TEST(TapeSemanticsTest, HeldGradientHandleIsNotAliasedByFirstBackward) {
    // The first gradient is copied out of the sweep: the seed passed by the user and
    // the leaf's grad must not share storage.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = w + tg::Tensor<double>{0.0, 0.0};
    tg::Tensor<double> seed{5.0, 7.0};
    tape.backward(y, seed);
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{5.0, 7.0}));
    w.zero_grad();
    EXPECT_EQ(xt::xarray<double>(seed.value()), (xt::xarray<double>{5.0, 7.0}));
}

TEST(TapeSemanticsTest, BackwardWithSeedOfOutputShape) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    auto y = w * w;  // dy_i/dw_i = 2 w_i
    tape.backward(y, tg::Tensor<double>{1.0, 10.0, 100.0});
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{2.0, 40.0, 600.0}));
}

TEST(TapeSemanticsTest, OneElementLossOfAnyRankNeedsNoSeed) {
    xt::xarray<double> row = {1.0, 2.0};
    row.reshape({1, 2});
    xt::xarray<double> column = {3.0, 4.0};
    column.reshape({2, 1});
    tg::Tape tape;
    auto w = tg::parameter<double>(row);
    auto x = tg::parameter<double>(column);
    auto loss = tg::matmul(w, x);  // (1, 1)
    ASSERT_EQ(loss.shape(), (tg::Shape{1, 1}));
    tape.backward(loss);
    EXPECT_EQ(w.grad().shape(), (tg::Shape{1, 2}));
    EXPECT_DOUBLE_EQ(w.grad().value()(0, 1), 4.0);  // dloss/dw = xᵀ
    EXPECT_EQ(x.grad().shape(), (tg::Shape{2, 1}));
    EXPECT_DOUBLE_EQ(x.grad().value()(1, 0), 2.0);  // dloss/dx = wᵀ
}

TEST(TapeSemanticsTest, TensorBackwardFindsItsTape) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{2.0});
    auto loss = tg::sum(tg::exp(w));
    loss.backward();
    EXPECT_NEAR(w.grad().item(), std::exp(2.0), 1e-12);
    EXPECT_EQ(tape.size(), 0u);
}

TEST(TapeSemanticsTest, BackwardOfLeafGivesOne) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{2.0});
    tape.backward(w);
    EXPECT_DOUBLE_EQ(w.grad().item(), 1.0);
}

TEST(TapeSemanticsTest, GradientsOnlyReachLeavesThatRequireThem) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0}, {3.0, 4.0}});
    auto x = tg::Tensor<double>{{1.0, 0.0}, {0.0, 1.0}};
    auto frozen = tg::Tensor<double>{10.0, 20.0};
    auto loss = tg::sum(tg::matmul(x, w) + frozen);
    tape.backward(loss);
    // d Σ (x w) / dw = xᵀ 1
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{{1.0, 1.0}, {1.0, 1.0}}));
    EXPECT_FALSE(frozen.has_grad());
    EXPECT_FALSE(x.has_grad());
}

TEST(TapeSemanticsTest, ClearReleasesWithoutBackward) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0});
    auto loss = tg::sum(w * w);
    ASSERT_EQ(tape.size(), 2u);
    tape.clear();
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_FALSE(w.has_grad());
    EXPECT_THROW(tape.backward(loss), tg::GraphError);
    // The tape records again afterwards.
    tape.backward(tg::sum(w * 4.0));
    EXPECT_DOUBLE_EQ(w.grad().item(), 4.0);
}

TEST(TapeSemanticsTest, OneTapeAcrossATrainingLoop) {
    // The usage docs/design.md promises: one tape, many steps, updates under NoGradGuard.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{4.0});
    double expected = 4.0;  // the same steps by hand: w -= 0.1 · 2 (w − 1)
    for (int step = 0; step < 50; ++step) {
        auto loss = tg::sum(tg::square(w - 1.0));  // minimum at w = 1
        tape.backward(loss);
        EXPECT_EQ(tape.size(), 0u);
        {
            tg::NoGradGuard no_grad;
            w.mutable_value() -= 0.1 * w.grad().value();
        }
        w.zero_grad();
        expected -= 0.1 * (2.0 * (expected - 1.0));
    }
    // Every step's gradient 2 (w − 1) is exact (a product by 2), so the tape's steps are
    // the hand-written ones bit for bit; w ≈ 1 + 3 · 0.8⁵⁰ = 1.0000428 (a doubled
    // gradient would give 1 + 3 · 0.6⁵⁰).
    EXPECT_EQ(w.value()(0), expected);
    EXPECT_NEAR(w.value()(0), 1.0 + 3.0 * std::pow(0.8, 50), 1e-14);
}

TEST(TapeSemanticsTest, FloatTapeWorks) {
    tg::Tape tape;
    auto w = tg::parameter<float>(xt::xarray<float>{1.0f, 2.0f});
    auto loss = tg::sum(w * w * 3.0f);
    tape.backward(loss);
    EXPECT_FLOAT_EQ(w.grad().value()(0), 6.0f);
    EXPECT_FLOAT_EQ(w.grad().value()(1), 12.0f);
}

TEST(TapeSemanticsTest, FloatAndDoubleOnOneTape) {
    tg::Tape tape;
    auto wf = tg::parameter<float>(xt::xarray<float>{2.0f});
    auto wd = tg::parameter<double>(xt::xarray<double>{3.0});
    auto lf = tg::sum(wf * wf);
    auto ld = tg::sum(wd * wd);
    ASSERT_EQ(tape.size(), 4u);
    tape.backward(ld, tg::BackwardOptions{true});
    EXPECT_DOUBLE_EQ(wd.grad().item(), 6.0);
    EXPECT_FALSE(wf.has_grad());
    tape.backward(lf);
    EXPECT_FLOAT_EQ(wf.grad().item(), 4.0f);
    EXPECT_DOUBLE_EQ(wd.grad().item(), 6.0);
}

// Elementwise backwards (activations, mul) write an input's gradient over their output's
// gradient when nothing else holds it. Each case below shares a gradient tensor that
// must stay intact: between two entries, with a capture of tape.gradient, with a seed.
TEST(TapeSemanticsTest, GradientsWrittenInPlaceNeverChangeAGradientSomethingElseHolds) {
    const xt::xarray<double> x0{0.3, -0.7, 1.1};
    const xt::xarray<double> t = xt::tanh(x0), s = 1.0 / (1.0 + xt::exp(-x0));
    const xt::xarray<double> dtanh = 1.0 - t * t, dsigmoid = s * (1.0 - s);
    {  // add hands one gradient to both branches: y = tanh(x) + sigmoid(x)
        tg::Tape tape;
        auto x = tg::parameter<double>(x0);
        tape.backward(tg::sum(tg::tanh(x) + tg::sigmoid(x)));
        EXPECT_TRUE(xt::allclose(grad_of(x), dtanh + dsigmoid));
    }
    {  // y = tanh(x) * sigmoid(x): mul's backward reuses its gradient for one input only
        tg::Tape tape;
        auto x = tg::parameter<double>(x0);
        tape.backward(tg::sum(tg::tanh(x) * tg::sigmoid(x)));
        EXPECT_TRUE(xt::allclose(grad_of(x), dtanh * s + t * dsigmoid));
    }
    {  // x * x: both inputs are one tensor
        tg::Tape tape;
        auto x = tg::parameter<double>(x0);
        tape.backward(tg::sum(tg::tanh(x * x)));
        const xt::xarray<double> u = xt::tanh(x0 * x0);
        EXPECT_TRUE(xt::allclose(grad_of(x), (1.0 - u * u) * 2.0 * x0));
    }
    {  // a captured gradient keeps its values while the sweep goes on below it
        tg::Tape tape;
        auto x = tg::parameter<double>(x0);
        auto u = tg::sigmoid(x);
        auto y = tg::tanh(u);
        const auto grads = tape.gradient(tg::sum(y), {u, x});
        const xt::xarray<double> ty = xt::tanh(s);
        EXPECT_TRUE(xt::allclose(grads[0].value(), 1.0 - ty * ty));
        EXPECT_TRUE(xt::allclose(grads[1].value(), (1.0 - ty * ty) * dsigmoid));
    }
    {  // the caller's seed is read, never written
        tg::Tape tape;
        auto x = tg::parameter<double>(x0);
        const tg::Tensor<double> seed(xt::xarray<double>{1.0, 2.0, 3.0});
        tape.backward(tg::tanh(x), seed);
        EXPECT_EQ(seed.value(), (xt::xarray<double>{1.0, 2.0, 3.0}));
        EXPECT_TRUE(xt::allclose(grad_of(x), dtanh * xt::xarray<double>{1.0, 2.0, 3.0}));
    }
}

}  // namespace
