// The aliasing audit of views: whatever writes into a gradient's buffer in place (the
// sweep's reusable_grad, the sum of a gradient's contributions, the hand-over of a first
// gradient to a leaf, zero_grad and later backward calls) must not write into storage a
// view or a base also holds. Each test would give wrong numbers if one of them did.

#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <xtensor/xarray.hpp>

namespace {

using tg::Tensor;

TEST(AliasingTest, AViewUsedTwice) {
    // y = reshape(x) feeds two ops; its gradient is the sum of both, and reshape's
    // backward hands x a view of that sum.
    tg::Tape tape;
    auto x = tg::parameter<double>(xt::xarray<double>{1.0, -2.0, 3.0, -4.0});
    const Tensor<double> y = tg::reshape(x, {2, 2});
    tape.backward(tg::sum(tg::relu(y)) + tg::sum(y * y));
    // d/dx = [x > 0] + 2x
    EXPECT_EQ(x.grad().value(), (xt::xarray<double>{3.0, -4.0, 7.0, -8.0}));
}

TEST(AliasingTest, ReusableGradOfAViewGradientLeavesItsBaseAlone) {
    // relu's backward writes over its incoming gradient when nothing else holds it. Here
    // that gradient is reshape(g) where g, the gradient of s = a + b, also goes to a:
    // writing over the view would change a's gradient.
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0}, {3.0, 4.0}});
    auto b = tg::parameter<double>(xt::xarray<double>{{1.0, 1.0}, {1.0, 1.0}});
    auto x = tg::parameter<double>(xt::xarray<double>{-1.0, 1.0, -1.0, 1.0});
    const Tensor<double> r = tg::relu(x);
    const Tensor<double> s = a + b + tg::reshape(r, {2, 2});
    tape.backward(tg::sum(s * s));
    const xt::xarray<double> g = 2.0 * (a.value() + b.value() + xt::xarray<double>{{0, 1}, {0, 1}});
    EXPECT_EQ(a.grad().value(), g);
    EXPECT_EQ(b.grad().value(), g);
    EXPECT_EQ(x.grad().value(), (xt::xarray<double>{0.0, g(0, 1), 0.0, g(1, 1)}));
}

TEST(AliasingTest, LeafGradientsThatAreViewsOfOneAnotherStaySeparate) {
    // loss = sum(a + reshape(b)): add hands g to a and to reshape, whose backward hands b
    // a view of g. Both leaves' gradients must own their buffers, or the second backward
    // (adding into grad() in place) and zero_grad would change the other's.
    tg::Tape tape;
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    auto b = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0}, {3.0, 4.0}});
    auto forward = [&] { return tg::sum((a + tg::reshape(b, {4})) * 3.0); };
    tape.backward(forward());
    EXPECT_FALSE(tg::detail::shares_storage(a.grad(), b.grad()));
    tape.backward(forward());
    EXPECT_EQ(a.grad().value(), (xt::xarray<double>{6.0, 6.0, 6.0, 6.0}));
    EXPECT_EQ(b.grad().value(), (xt::xarray<double>{{6.0, 6.0}, {6.0, 6.0}}));
    a.zero_grad();
    EXPECT_EQ(b.grad().value(), (xt::xarray<double>{{6.0, 6.0}, {6.0, 6.0}}));
}

TEST(AliasingTest, GradientOfAnIdentityThroughViewsIsCopiedFromTheSeed) {
    // The seed is the caller's: reshape of it must not become a leaf's grad() that later
    // calls add into.
    tg::Tape tape;
    auto x = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    const Tensor<double> seed(xt::xarray<double>{{1.0, 1.0}, {1.0, 1.0}});
    tape.backward(tg::reshape(x, {2, 2}), seed);
    tape.backward(tg::reshape(x, {2, 2}), seed);
    EXPECT_EQ(seed.value(), (xt::xarray<double>{{1.0, 1.0}, {1.0, 1.0}}));
    EXPECT_EQ(x.grad().value(), (xt::xarray<double>{2.0, 2.0, 2.0, 2.0}));
}

TEST(AliasingTest, TwoViewsOfOneGradientAccumulateIntoACopy) {
    // x is reached through two views; the second contribution must not be added into the
    // first in place, as the first is a view of the gradient of y, which mul also uses.
    tg::Tape tape;
    auto x = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    const Tensor<double> y = tg::reshape(x, {2, 2});
    const Tensor<double> z = tg::flatten(y);
    tape.backward(tg::sum(z) + tg::sum(tg::narrow(x, 0, 0, 4)));
    EXPECT_EQ(x.grad().value(), (xt::xarray<double>{2.0, 2.0, 2.0, 2.0}));
}

}  // namespace
