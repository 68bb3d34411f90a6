// create_graph: the backward sweep is itself recorded, so gradients can be differentiated.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
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

xt::xarray<double> val(const tg::Tensor<double>& t) { return t.value(); }

tg::BackwardOptions create_graph() {
    tg::BackwardOptions options;
    options.create_graph = true;
    return options;
}

TEST(CreateGraphTest, ImpliesRetainGraph) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{2.0});
    auto y = tg::sum(w * w * w);
    const std::size_t recorded = tape.size();
    tape.backward(y, create_graph());
    EXPECT_GE(tape.size(), recorded);  // kept (and grown by the recorded backward)
    EXPECT_DOUBLE_EQ(w.grad().item(), 12.0);
    tape.backward(y);  // a second sweep over the kept entries works
    EXPECT_DOUBLE_EQ(w.grad().item(), 24.0);
}

TEST(CreateGraphTest, GradientIsDifferentiable) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, -2.0});
    auto y = tg::sum(w * w * w);
    auto g = tape.gradient(y, {w}, create_graph());
    EXPECT_EQ(val(g[0]), (xt::xarray<double>{3.0, 12.0}));  // 3w²
    EXPECT_TRUE(g[0].requires_grad());
    auto h = tape.gradient(tg::sum(g[0]), {w});
    EXPECT_EQ(val(h[0]), (xt::xarray<double>{6.0, -12.0}));  // 6w
    EXPECT_FALSE(w.has_grad());
}

TEST(CreateGraphTest, GradientPenaltyBackward) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.5, 1.0});
    auto y = tg::sum(w * w * w);
    auto g = tape.gradient(y, {w}, create_graph());
    auto penalty = tg::sum(tg::square(g[0]));  // Σ 9 w⁴
    tape.backward(penalty);
    // d/dw Σ 9w⁴ = 36 w³
    EXPECT_NEAR(w.grad().value()(0), 36.0 * 0.125, 1e-12);
    EXPECT_NEAR(w.grad().value()(1), 36.0, 1e-12);
}

TEST(CreateGraphTest, GradOfBackwardWithCreateGraphRequiresGrad) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{3.0});
    tape.backward(tg::sum(tg::exp(w * w)), create_graph());
    auto g = w.grad();
    EXPECT_DOUBLE_EQ(g.item(), 6.0 * std::exp(9.0));  // 2w e^(w²), to 4 ulps
    EXPECT_TRUE(g.requires_grad());
}

TEST(CreateGraphTest, LeavesGetSeparateGradientsAfterCreateGraphBackward) {
    // loss = Σ (w + v): both leaves receive the same upstream gradient. Each must still
    // own its grad(), so a later backward (or zero_grad) on one does not change the other.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto v = tg::parameter<double>(xt::xarray<double>{3.0, 4.0});
    tape.backward(tg::sum(w + v), create_graph());
    ASSERT_EQ(val(w.grad()), (xt::xarray<double>{1.0, 1.0}));
    ASSERT_EQ(val(v.grad()), (xt::xarray<double>{1.0, 1.0}));
    EXPECT_FALSE(w.grad().same(v.grad()));

    tape.clear();
    tape.backward(tg::sum(w + v));
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{2.0, 2.0}));
    EXPECT_EQ(val(v.grad()), (xt::xarray<double>{2.0, 2.0}));

    w.zero_grad();
    EXPECT_EQ(val(v.grad()), (xt::xarray<double>{2.0, 2.0}));
}

TEST(CreateGraphTest, CreateGraphBackwardDoesNotWriteIntoTheUserSeed) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = w + tg::Tensor<double>{0.0, 0.0};
    tg::Tensor<double> seed{5.0, 7.0};
    tape.backward(y, seed, create_graph());
    tape.backward(y, seed);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{10.0, 14.0}));
    EXPECT_EQ(val(seed), (xt::xarray<double>{5.0, 7.0}));
    w.zero_grad();
    EXPECT_EQ(val(seed), (xt::xarray<double>{5.0, 7.0}));
}

}  // namespace
