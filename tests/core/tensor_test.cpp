// tg::Tensor: construction, access, handles, detach, assign, grad() and its errors.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <type_traits>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

TEST(TensorTest, ConstructsFromXarray) {
    xt::xarray<double> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    tg::Tensor<double> t(a);
    EXPECT_EQ(t.shape(), (tg::Shape{2, 3}));
    EXPECT_EQ(t.dim(), 2u);
    EXPECT_EQ(t.size(), 6u);
    EXPECT_DOUBLE_EQ(t.value()(1, 2), 6.0);
    EXPECT_FALSE(t.requires_grad());
    EXPECT_TRUE(t.is_leaf());
    // The tensor holds a copy: changing the source array afterwards changes nothing.
    a(0, 0) = 100.0;
    EXPECT_DOUBLE_EQ(t.value()(0, 0), 1.0);
}

TEST(TensorTest, ShapeBehavesAsAStdVector) {
    // docs/design.md: shapes are std::vectors and braced lists work at every call site.
    const tg::Tensor<double> t(xt::xarray<double>(xt::zeros<double>({2, 3})));
    const std::vector<std::size_t> v = t.shape();  // converts
    EXPECT_EQ(v, (std::vector<std::size_t>{2, 3}));
    EXPECT_TRUE(t.shape() == v);
    EXPECT_TRUE(v == t.shape());
    EXPECT_FALSE(t.shape() != v);
    EXPECT_TRUE(t.shape() != (std::vector<std::size_t>{3, 2}));
    EXPECT_TRUE((std::vector<std::size_t>{2}) != t.shape());
    EXPECT_EQ(t.shape(), (tg::Shape{2, 3}));
    const tg::Shape from_vector = v;  // and back
    EXPECT_EQ(from_vector, t.shape());
    const tg::Shape five_dims{1, 2, 3, 4, 5};  // beyond the 4 kept inline
    EXPECT_EQ(std::vector<std::size_t>(five_dims), (std::vector<std::size_t>{1, 2, 3, 4, 5}));
}

TEST(TensorTest, ConstructsFromXtensorExpression) {
    tg::Tensor<double> t(xt::arange<double>(0.0, 6.0) * 2.0);
    EXPECT_EQ(t.shape(), (tg::Shape{6}));
    EXPECT_DOUBLE_EQ(t.value()(5), 10.0);
}

TEST(TensorTest, ConstructsFromNestedInitializerLists) {
    tg::Tensor<double> v{1.0, 2.0, 3.0};
    EXPECT_EQ(v.shape(), (tg::Shape{3}));
    EXPECT_DOUBLE_EQ(v.value()(2), 3.0);

    tg::Tensor<double> m{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    EXPECT_EQ(m.shape(), (tg::Shape{2, 3}));
    EXPECT_DOUBLE_EQ(m.value()(1, 0), 4.0);

    tg::Tensor<double> c{{{1.0, 2.0}}, {{3.0, 4.0}}};
    EXPECT_EQ(c.shape(), (tg::Shape{2, 1, 2}));
    EXPECT_DOUBLE_EQ(c.value()(1, 0, 1), 4.0);

    tg::Tensor<double> h{{{{1.0, 2.0}}, {{3.0, 4.0}}}};
    EXPECT_EQ(h.shape(), (tg::Shape{1, 2, 1, 2}));
    EXPECT_DOUBLE_EQ(h.value()(0, 1, 0, 0), 3.0);
}

TEST(TensorTest, ScalarConstructorMakesZeroDimensionalTensor) {
    tg::Tensor<double> s(2.5);
    EXPECT_EQ(s.dim(), 0u);
    EXPECT_EQ(s.shape(), tg::Shape{});
    EXPECT_EQ(s.size(), 1u);
    EXPECT_DOUBLE_EQ(s.item(), 2.5);
}

TEST(TensorTest, FloatAndDoubleBothWork) {
    static_assert(std::is_same_v<tg::Tensor<>::value_type, double>, "double is the default");
    tg::Tensor<float> f{{1.5f, 2.0f}, {3.0f, 4.0f}};
    static_assert(std::is_same_v<decltype(f.item()), float>);
    EXPECT_EQ(f.shape(), (tg::Shape{2, 2}));
    EXPECT_FLOAT_EQ(f.value()(0, 0), 1.5f);
    tg::Tensor<float> one(xt::xarray<float>{7.25f});
    EXPECT_FLOAT_EQ(one.item(), 7.25f);

    tg::Tensor<double> d(0.1 * xt::ones<double>({1, 1}));
    EXPECT_DOUBLE_EQ(d.item(), 0.1);
}

TEST(TensorTest, ItemOfOneElementTensorOfAnyRank) {
    EXPECT_DOUBLE_EQ(tg::Tensor<double>(3.0 * xt::ones<double>({1, 1, 1})).item(), 3.0);
    EXPECT_DOUBLE_EQ(tg::Tensor<double>{4.0}.item(), 4.0);
}

TEST(TensorTest, ItemOfManyElementsIsShapeErrorNamingShape) {
    tg::Tensor<double> m{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    const std::string msg = error_message<tg::ShapeError>([&] { (void)m.item(); });
    EXPECT_TRUE(contains(msg, "item()"));
    EXPECT_TRUE(contains(msg, "(2, 3)"));
    EXPECT_TRUE(contains(msg, "6 elements"));
}

TEST(TensorTest, ValueIsAssignableToXarray) {
    tg::Tensor<float> t{{1.0f, 2.0f}, {3.0f, 4.0f}};
    xt::xarray<float> copy = t.value();
    EXPECT_EQ(copy, (xt::xarray<float>{{1.0f, 2.0f}, {3.0f, 4.0f}}));
}

TEST(TensorTest, CopiesShareOneNode) {
    auto a = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    tg::Tensor<double> b = a;
    EXPECT_TRUE(a.same(b));
    b.mutable_value()(0) = 7.0;
    EXPECT_DOUBLE_EQ(a.value()(0), 7.0);
    EXPECT_EQ(a.version(), 1u);
    EXPECT_FALSE(a.same(tg::Tensor<double>(a.value())));
}

TEST(TensorTest, ParameterMakesLeafThatRequiresGrad) {
    auto w = tg::parameter<double>(xt::ones<double>({3, 2}));
    EXPECT_TRUE(w.requires_grad());
    EXPECT_TRUE(w.is_leaf());
    EXPECT_FALSE(w.has_grad());
    EXPECT_EQ(w.shape(), (tg::Shape{3, 2}));

    tg::Tensor<float> v(tg::Array<float>(xt::zeros<float>({2})), /*requires_grad=*/true);
    EXPECT_TRUE(v.requires_grad());
    v.set_requires_grad(false);
    EXPECT_FALSE(v.requires_grad());
    v.set_requires_grad();
    EXPECT_TRUE(v.requires_grad());
}

TEST(TensorTest, DetachCopiesValuesWithoutHistory) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = w * w;
    ASSERT_TRUE(y.requires_grad());
    ASSERT_FALSE(y.is_leaf());

    auto d = y.detach();
    EXPECT_FALSE(d.requires_grad());
    EXPECT_TRUE(d.is_leaf());
    EXPECT_FALSE(d.same(y));
    EXPECT_EQ(xt::xarray<double>(d.value()), (xt::xarray<double>{1.0, 4.0}));

    // A detached copy of a leaf owns its values.
    auto dw = w.detach();
    dw.mutable_value()(0) = -5.0;
    EXPECT_DOUBLE_EQ(w.value()(0), 1.0);
    EXPECT_EQ(w.version(), 0u);

    // Ops on a detached tensor record nothing.
    const std::size_t before = tape.size();
    auto z = d * d;
    EXPECT_EQ(tape.size(), before);
    EXPECT_FALSE(z.requires_grad());
}

TEST(TensorTest, AssignReplacesValuesAndBumpsVersion) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    EXPECT_EQ(w.version(), 0u);
    w.assign(tg::Array<double>{4.0, 5.0, 6.0});
    EXPECT_EQ(w.version(), 1u);
    EXPECT_EQ(xt::xarray<double>(w.value()), (xt::xarray<double>{4.0, 5.0, 6.0}));
    w.mutable_value()(1) = 0.0;
    EXPECT_EQ(w.version(), 2u);
}

TEST(TensorTest, AssignWithWrongShapeIsErrorNamingBothShapes) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0, 3.0});
    const std::string msg = error_message<tg::Error>([&] {
        w.assign(tg::Array<double>{{1.0, 2.0}, {3.0, 4.0}});
    });
    EXPECT_TRUE(
        contains(msg, "assign(): new values have shape (2, 2) but the tensor has shape (3)"));
    // Nothing changed.
    EXPECT_EQ(w.version(), 0u);
    EXPECT_EQ(xt::xarray<double>(w.value()), (xt::xarray<double>{1.0, 2.0, 3.0}));
    EXPECT_THROW(w.assign(tg::Array<double>{1.0, 2.0}), tg::ShapeError);
}

TEST(TensorTest, RecordedResultCannotBeChangedInPlace) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = w * w;
    const std::string msg = error_message<tg::GraphError>([&] { y.mutable_value(); });
    EXPECT_TRUE(contains(msg, "only leaves"));
    EXPECT_THROW(y.assign(tg::Array<double>{0.0, 0.0}), tg::GraphError);
    EXPECT_THROW(y.set_requires_grad(false), tg::GraphError);
    EXPECT_EQ(xt::xarray<double>(y.value()), (xt::xarray<double>{1.0, 4.0}));
}

TEST(TensorTest, UndefinedTensorIsError) {
    tg::Tensor<double> t;
    EXPECT_FALSE(t.defined());
    EXPECT_FALSE(t.requires_grad());
    const std::string msg = error_message<tg::Error>([&] { (void)t.value(); });
    EXPECT_TRUE(contains(msg, "undefined"));
    EXPECT_THROW((void)t.shape(), tg::Error);
}

TEST(TensorTest, GradOfTensorWithoutRequiresGradIsError) {
    tg::Tensor<double> c{{1.0, 2.0}};
    const std::string msg = error_message<tg::GraphError>([&] { (void)c.grad(); });
    EXPECT_TRUE(contains(msg, "does not require a gradient"));
    EXPECT_TRUE(contains(msg, "(1, 2)"));
    EXPECT_TRUE(contains(msg, "tg::parameter"));
}

TEST(TensorTest, GradBeforeBackwardIsError) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    const std::string msg = error_message<tg::GraphError>([&] { (void)w.grad(); });
    EXPECT_TRUE(contains(msg, "no gradient yet"));
    EXPECT_TRUE(contains(msg, "backward"));
}

TEST(TensorTest, GradOfNonLeafIsError) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = w * 3.0;
    auto loss = tg::sum(y);
    tape.backward(loss);
    const std::string msg = error_message<tg::GraphError>([&] { (void)y.grad(); });
    EXPECT_TRUE(contains(msg, "not a leaf"));
    EXPECT_TRUE(contains(msg, "tape.gradient"));
}

TEST(TensorTest, ZeroGradZeroesAndKeepsBuffer) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    w.zero_grad();  // no gradient yet: nothing to do, no error
    EXPECT_FALSE(w.has_grad());

    tape.backward(tg::sum(w * 3.0));
    ASSERT_TRUE(w.has_grad());
    EXPECT_EQ(xt::xarray<double>(w.grad().value()), (xt::xarray<double>{3.0, 3.0}));
    const double* buffer = w.grad().value().data();

    w.zero_grad();
    EXPECT_TRUE(w.has_grad());
    EXPECT_EQ(xt::xarray<double>(w.grad().value()), (xt::xarray<double>{0.0, 0.0}));
    EXPECT_EQ(w.grad().value().data(), buffer);
}

}  // namespace
