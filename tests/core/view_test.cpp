// Contiguous views (docs/design.md "Storage and views"): reshape, view, flatten, squeeze,
// unsqueeze, and narrow / select along the first axis share their input's storage as
// ordinary arrays at an offset (strided ones: strided_view_test.cpp); a base and its
// views answer to one version counter; writing through a view is refused unless its base
// is a plain tensor.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::Tensor;
using tg::detail::shares_storage;
using tg::test::contains;
using tg::test::error_message;

Tensor<double> six() { return Tensor<double>(xt::xarray<double>(xt::arange<double>(6.0))); }

TEST(ViewTest, ShapeOpsShareStorage) {
    const Tensor<double> x = tg::reshape(six(), {2, 3});
    EXPECT_TRUE(shares_storage(x, tg::reshape(x, {3, 2})));
    EXPECT_TRUE(shares_storage(x, tg::view(x, {6})));
    EXPECT_TRUE(shares_storage(x, tg::flatten(x)));
    EXPECT_TRUE(shares_storage(x, tg::unsqueeze(x, 1)));
    EXPECT_TRUE(shares_storage(x, tg::squeeze(tg::unsqueeze(x, 0))));
    EXPECT_EQ(tg::reshape(x, {3, 2}).value().data(), x.value().data());
}

TEST(ViewTest, NarrowAndSelectAlongTheFirstAxisShareAtAnOffset) {
    const Tensor<double> x = tg::reshape(six(), {3, 2});
    const Tensor<double> rows = tg::narrow(x, 0, 1, 2);
    EXPECT_TRUE(shares_storage(x, rows));
    EXPECT_EQ(rows.value().data(), x.value().data() + 2);
    EXPECT_EQ(rows.value(), (xt::xarray<double>{{2, 3}, {4, 5}}));
    const Tensor<double> row = tg::select(x, 0, -1);
    EXPECT_TRUE(shares_storage(x, row));
    EXPECT_EQ(row.value(), (xt::xarray<double>{4, 5}));
    // Along another axis the elements are not one run: strided views
    // (strided_view_test.cpp).
    EXPECT_TRUE(shares_storage(x, tg::narrow(x, 1, 0, 1)));
    EXPECT_FALSE(tg::narrow(x, 1, 0, 1).is_contiguous());
    EXPECT_FALSE(tg::select(x, 1, 0).is_contiguous());
    // A leading axis of size 1 leaves one run: a view again.
    const Tensor<double> y = tg::reshape(six(), {1, 3, 2});
    EXPECT_TRUE(shares_storage(y, tg::narrow(y, 1, 1, 1)));
}

TEST(ViewTest, AFirstAxisNarrowIsContiguousAndContiguousReturnsItself) {
    const Tensor<double> x = tg::narrow(tg::reshape(six(), {3, 2}), 0, 1, 1);
    EXPECT_TRUE(x.is_contiguous());
    EXPECT_TRUE(x.contiguous().same(x));
}

TEST(ViewTest, ViewRefusesAnotherNumberOfElements) {
    const std::string message = error_message<tg::ShapeError>([] { tg::view(six(), {4}); });
    EXPECT_TRUE(contains(message, "view: cannot view a tensor of shape (6) (6 elements) as (4)"))
        << message;
}

TEST(ViewTest, ReshapeOfAParameterRecordsAndItsGradientIsRight) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    const Tensor<double> m = tg::reshape(w, {2, 2});
    EXPECT_TRUE(shares_storage(w, m));
    EXPECT_FALSE(m.is_leaf());
    tape.backward(tg::sum(m * m));
    EXPECT_EQ(w.grad().value(), (xt::xarray<double>{2.0, 4.0, 6.0, 8.0}));
}

TEST(ViewTest, ChangeOfABaseIsSeenThroughItsViewsAndBumpsTheirVersion) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    Tensor<double> m;
    {
        tg::NoGradGuard no_grad;
        m = tg::reshape(w, {2, 2});
    }
    const auto before = m.version();
    w.mutable_value() -= 1.0;  // xtensor's computed assignment writes into the shared storage
    EXPECT_EQ(m.value()(1, 1), 3.0);
    EXPECT_EQ(m.version(), before + 1);
    EXPECT_EQ(m.version(), w.version());
}

TEST(ViewTest, SavedViewChangedThroughItsBaseIsRefused) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    const Tensor<double> m = tg::reshape(w, {2, 2});
    const Tensor<double> loss = tg::sum(tg::exp(m));  // exp saves its output, not m
    const Tensor<double> loss2 = tg::sum(m * m);      // mul saves m, a view of w
    w.assign(tg::Array<double>{0.0, 0.0, 0.0, 0.0});
    const std::string message = error_message<tg::GraphError>([&] { tape.backward(loss2); });
    EXPECT_TRUE(contains(message, "was changed in place after it was recorded")) << message;
    (void)loss;
}

TEST(ViewTest, SavedBaseChangedThroughAViewIsRefused) {
    tg::Tape tape;
    Tensor<double> data(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});  // a plain tensor
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 1.0, 1.0, 1.0});
    const Tensor<double> loss = tg::sum(w * data);  // mul saves data for d/dw
    Tensor<double> rows = tg::narrow(data, 0, 2, 2);
    rows.mutable_value().fill(0.0);  // a view of a plain tensor: writes into data
    EXPECT_EQ(data.value()(3), 0.0);
    EXPECT_EQ(data.version(), 1u);
    const std::string message = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(
        message,
        "of shape (4) was changed in place after it was recorded (version 0 when saved, 1 now)"))
        << message;
}

TEST(ViewTest, WritingThroughAViewOfAParameterIsRefused) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    Tensor<double> m;
    {
        tg::NoGradGuard no_grad;
        m = tg::reshape(w, {2, 2});
    }
    const std::string message = error_message<tg::GraphError>([&] { m.mutable_value().fill(0.0); });
    EXPECT_TRUE(contains(message,
                         "mutable_value(): this tensor is a view (reshape, view, flatten, "
                         "squeeze, unsqueeze, narrow, select, slice, transpose, permute, expand "
                         "or diagonal) of a leaf that requires grad"))
        << message;
    EXPECT_EQ(w.value()(0), 1.0);
    EXPECT_EQ(w.version(), 0u);
}

TEST(ViewTest, WritingThroughAViewOfARecordedResultIsRefused) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0, 4.0});
    const Tensor<double> y = w * 2.0;
    Tensor<double> v;
    {
        tg::NoGradGuard no_grad;
        v = tg::flatten(y);
    }
    const std::string message = error_message<tg::GraphError>([&] { v.assign(y.value()); });
    EXPECT_TRUE(contains(
        message,
        "narrow, select, slice, transpose, permute, expand or diagonal) of a recorded result"))
        << message;
}

TEST(ViewTest, AViewOfAViewAnswersToTheFirstBase) {
    Tensor<double> base = six();
    Tensor<double> a = tg::reshape(base, {2, 3});
    Tensor<double> b = tg::select(a, 0, 1);
    b.mutable_value()(0) = 30.0;
    EXPECT_EQ(base.value()(3), 30.0);
    EXPECT_EQ(base.version(), 1u);
    EXPECT_EQ(a.version(), 1u);
    EXPECT_EQ(b.version(), 1u);
}

TEST(ViewTest, DetachCopies) {
    const Tensor<double> x = six();
    EXPECT_FALSE(shares_storage(x, x.detach()));
}

}  // namespace
