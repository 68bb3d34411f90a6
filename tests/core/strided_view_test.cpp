// Strided views (docs/design.md "Storage and views"): transpose, narrow of an inner axis,
// stepped slice, select, expand and diagonal share storage through a layout; value() is a
// contiguous copy refilled when the base changes in place (under several threads:
// strided_view_thread_test.cpp);
// the version rule holds through them; a view's backward adds into a window of the input's
// gradient, in place when it can (select's backward costs the slice).

#include "test_helpers.hpp"

#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>

namespace {

using tg::Tensor;
using tg::detail::shares_storage;
using tg::test::contains;
using tg::test::error_message;

/// 0, 1, ..., 11 as (3, 4).
Tensor<double> twelve() {
    return Tensor<double>(xt::xarray<double>(xt::arange<double>(12.0).reshape({3, 4})));
}

TEST(StridedViewTest, ViewOpsShareStorageWithTheirLayout) {
    const Tensor<double> x = twelve();
    const Tensor<double> t = tg::transpose(x);
    const Tensor<double> n = tg::narrow(x, 1, 1, 2);
    const Tensor<double> s = tg::slice(x, 1, 0, tg::kEnd, 2);
    const Tensor<double> c = tg::select(x, 1, 3);
    const Tensor<double> e = tg::broadcast_to(tg::select(x, 0, 1), {2, 4});
    const Tensor<double> d = tg::diagonal(x, 1);
    for (const Tensor<double>* v : {&t, &n, &s, &c, &e, &d}) {
        EXPECT_FALSE(v->is_contiguous());
        EXPECT_TRUE(shares_storage(*v, x));
    }
    EXPECT_EQ(t.value(), xt::xarray<double>(xt::transpose(x.value())));
    EXPECT_EQ(n.value(), (xt::xarray<double>{{1, 2}, {5, 6}, {9, 10}}));
    EXPECT_EQ(s.value(), (xt::xarray<double>{{0, 2}, {4, 6}, {8, 10}}));
    EXPECT_EQ(c.value(), (xt::xarray<double>{3, 7, 11}));
    EXPECT_EQ(e.value(), (xt::xarray<double>{{4, 5, 6, 7}, {4, 5, 6, 7}}));
    EXPECT_EQ(d.value(), (xt::xarray<double>{1, 6, 11}));
    // A view of a view composes layouts: still no copy.
    const Tensor<double> tn = tg::select(tg::narrow(t, 0, 1, 2), 1, 2);
    EXPECT_TRUE(shares_storage(tn, x));
    EXPECT_EQ(tn.value(), (xt::xarray<double>{9, 10}));
    // Contiguous runs stay ordinary views; contiguous() of a strided view is a copy.
    EXPECT_TRUE(tg::narrow(x, 0, 1, 1).is_contiguous());
    EXPECT_TRUE(tg::transpose(tg::transpose(x)).is_contiguous());
    const Tensor<double> copy = t.contiguous();
    EXPECT_TRUE(copy.is_contiguous());
    EXPECT_FALSE(shares_storage(copy, x));
    EXPECT_TRUE(x.contiguous().same(x));
}

TEST(StridedViewTest, ReshapeRestridesWhereItCanAndCopiesWhereNot) {
    const Tensor<double> t = tg::transpose(twelve());  // (4, 3), strides (1, 4)
    const Tensor<double> split = tg::reshape(t, {2, 2, 3});
    EXPECT_TRUE(shares_storage(split, t));
    xt::xarray<double> expected = t.value();
    expected.reshape({2, 2, 3});
    EXPECT_EQ(split.value(), expected);
    const Tensor<double> flat = tg::reshape(t, {12});  // crosses the strides: a copy
    EXPECT_FALSE(shares_storage(flat, t));
    expected.reshape({12});
    EXPECT_EQ(flat.value(), expected);
    const std::string message = error_message<tg::ShapeError>([&] { tg::view(t, {12}); });
    EXPECT_TRUE(contains(message, "view: a strided tensor of shape (4, 3)")) << message;
    EXPECT_TRUE(contains(message, "use reshape")) << message;
}

TEST(StridedViewTest, AnInPlaceChangeOfTheBaseIsSeenThroughTheView) {
    Tensor<double> x = twelve();
    const Tensor<double> t = tg::transpose(x);
    EXPECT_EQ(t.value()(1, 0), 1.0);  // fills the view's copy
    x.mutable_value()(0, 1) = 50.0;
    EXPECT_EQ(t.version(), x.version());
    EXPECT_EQ(t.value()(1, 0), 50.0);  // refilled: the version moved
    EXPECT_EQ(t.at({1, 0}), 50.0);
}

TEST(StridedViewTest, AssignWritesThroughAStridedViewOfAPlainTensor) {
    Tensor<double> x = twelve();
    Tensor<double> column = tg::select(x, 1, 2);
    column.assign(xt::xarray<double>{-1, -2, -3});
    EXPECT_EQ(x.value()(0, 2), -1.0);
    EXPECT_EQ(x.value()(2, 2), -3.0);
    EXPECT_EQ(x.version(), 1u);
    const std::string message =
        error_message<tg::GraphError>([&] { column.mutable_value().fill(0.0); });
    EXPECT_TRUE(contains(message, "mutable_value(): this tensor is a strided view")) << message;
    EXPECT_TRUE(contains(message, "assign()")) << message;
}

TEST(StridedViewTest, WritingThroughAStridedViewOfAParameterIsRefused) {
    auto w = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0}, {3.0, 4.0}});
    Tensor<double> t;
    {
        tg::NoGradGuard no_grad;
        t = tg::transpose(w);
    }
    const std::string message = error_message<tg::GraphError>([&] {
        t.assign(xt::zeros<double>({2, 2}));
    });
    EXPECT_TRUE(contains(message, "assign(): this tensor is a view")) << message;
    EXPECT_TRUE(contains(message, "of a leaf that requires grad")) << message;
    EXPECT_EQ(w.value()(0, 1), 2.0);
}

TEST(StridedViewTest, ASavedViewChangedInPlaceStopsBackward) {
    Tensor<double> base = twelve();
    auto p = tg::parameter<double>(xt::ones<double>({4, 3}));
    tg::Tape tape;
    const Tensor<double> view = tg::transpose(base);  // saved by the product below
    Tensor<double> loss = tg::sum(p * view);
    base.mutable_value()(0, 0) = 9.0;
    const std::string message = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(message, "was changed in place after it was recorded")) << message;
}

TEST(StridedViewTest, SelectBackwardAddsTheSliceInPlace) {
    // Each of 64 steps selects one column: the gradient is built once, then each step
    // adds its slice into it (it was a zero tensor of x's size per step).
    const std::size_t steps = 64;
    auto x = tg::parameter<double>(xt::xarray<double>(xt::ones<double>({std::size_t{8}, steps, std::size_t{4}})));
    tg::Tape tape;
    Tensor<double> loss(0.0);
    for (std::size_t t = 0; t < steps; ++t)
        loss = loss + tg::sum(tg::select(x, 1, long(t)) * double(t));
    tg::detail::reset_bytes_moved();
    tape.backward(loss);
    // The gradient once, and each step's (8, 4) slice: far below a tensor per step.
    EXPECT_LE(tg::detail::bytes_moved(), 3 * x.size() * sizeof(double));
    for (std::size_t t = 0; t < steps; ++t) EXPECT_EQ(x.grad().value()(3, t, 2), double(t));
}

TEST(StridedViewTest, MatmulReadsATransposedOperandWithoutACopy) {
    const Tensor<double> a(xt::xarray<double>(xt::arange<double>(20.0).reshape({4, 5})));
    const Tensor<double> b(xt::xarray<double>(xt::arange<double>(15.0).reshape({3, 5}) * 0.5));
    xt::xarray<double> expected = xt::zeros<double>({4, 3});
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t k = 0; k < 5; ++k) expected(i, j) += a.value()(i, k) * b.value()(j, k);
    tg::detail::reset_bytes_moved();
    const Tensor<double> y = tg::matmul(a, tg::transpose(b));
    EXPECT_EQ(tg::detail::bytes_moved(), 0u);
    EXPECT_EQ(y.value(), expected);
}

}  // namespace
