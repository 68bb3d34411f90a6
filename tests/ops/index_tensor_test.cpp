// Index tensors (Tensor<std::int64_t>) in the ops that take or return indices: gather,
// scatter_add and index_select give with int64 indices exactly what they give with the
// same indices as whole numbers in a double tensor (values, gradients, second
// derivatives); indices outside [0, n) are refused with the op's "out of range"; argmax
// and argmin return int64; to_int64 / to_floating convert. (The Tensor<std::int64_t>
// type itself: tests/core/index_tensor_test.cpp; losses and Embedding:
// tests/nn/index_tensor_test.cpp.)

#include "op_test_util.hpp"
#include "bitwise_same.hpp"

#include <tapegrad/functional.hpp>

#include <cstdint>
#include <limits>
#include <xtensor/xbuilder.hpp>

namespace tg::test {
namespace {

using Index = Tensor<std::int64_t>;

std::mt19937_64 rng_for(const std::string& name) { return std::mt19937_64(seed_of(name)); }

Tensor<> random_tensor(const Shape& shape, const std::string& name) {
    std::mt19937_64 rng = rng_for(name);
    return Tensor<>(random_array<double>(shape, rng));
}

/// x as a column (n, 1) (a braced column does not compile yet: issue 30 item 2).
template <class T>
Tensor<T> column(const Tensor<T>& x) {
    return reshape(x, {x.size(), 1});
}

/// f at x with both index types, and its gradient and Hessian (tg::grad, tg::hessian,
/// which differentiate f's backward again): equal for the two. f is made nonlinear
/// around the op (a tanh), so the second derivatives are not all zero.
template <class F>
void expect_same_derivatives(const F& with_index, const Tensor<>& x) {
    const Function<double> as_int64 = [&](const Tensor<>& v) { return with_index(v, true); };
    const Function<double> as_double = [&](const Tensor<>& v) { return with_index(v, false); };
    EXPECT_TRUE(same(as_int64(x), as_double(x)));
    EXPECT_TRUE(same(tg::grad(as_int64, x), tg::grad(as_double, x)));
    const Tensor<> h = tg::hessian(as_int64, x);
    EXPECT_TRUE(same(h, tg::hessian(as_double, x)));
    EXPECT_GT(xt::amax(xt::abs(h.value()))(), 0.0) << "the Hessian is zero: nothing compared";
}

TEST(IndexTensor, GatherWithInt64EqualsFloatIndices) {
    const Index index{{2, 0, 2}, {1, 1, 0}};
    const Tensor<> as_double = to_floating<double>(index);
    const Tensor<> x = random_tensor({2, 3}, "gather");
    EXPECT_TRUE(same(gather(x, 1, index), gather(x, 1, as_double)));
    EXPECT_TRUE(same(gather(x, 1, index), Tensor<>{{x.at({0, 2}), x.at({0, 0}), x.at({0, 2})},
                                                   {x.at({1, 1}), x.at({1, 1}), x.at({1, 0})}}));
    expect_same_derivatives(
        [&](const Tensor<>& v, bool int64) {
            return sum(tanh(int64 ? gather(v, -1, index) : gather(v, -1, as_double)));
        },
        x);
}

TEST(IndexTensor, ScatterAddWithInt64EqualsFloatIndices) {
    const Index index{{0, 2}, {1, 1}, {2, 0}};
    const Tensor<> as_double = to_floating<double>(index);
    const Tensor<> x = random_tensor({3, 3}, "scatter x"), src = random_tensor({3, 2}, "src");
    EXPECT_TRUE(same(scatter_add(x, 1, index, src), scatter_add(x, 1, as_double, src)));
    // Second order in src (x fixed), then in x (src fixed).
    expect_same_derivatives(
        [&](const Tensor<>& s, bool int64) {
            return sum(tanh(int64 ? scatter_add(x, 1, index, s) : scatter_add(x, 1, as_double, s)));
        },
        src);
    expect_same_derivatives(
        [&](const Tensor<>& v, bool int64) {
            return sum(
                tanh(int64 ? scatter_add(v, 1, index, src) : scatter_add(v, 1, as_double, src)));
        },
        x);
}

TEST(IndexTensor, IndexSelectWithInt64EqualsIndexList) {
    const Tensor<> x = random_tensor({3, 4}, "index_select");
    for (long axis : {0L, 1L, -1L}) {
        const Index index{2, 0, 2};
        EXPECT_TRUE(same(index_select(x, axis, index), index_select(x, axis, {2, 0, 2})));
        expect_same_derivatives(
            [&](const Tensor<>& v, bool int64) {
                return sum(
                    tanh(int64 ? index_select(v, axis, index) : index_select(v, axis, {2, 0, 2})));
            },
            x);
    }
    EXPECT_EQ(index_select(x, 0, Index(std::int64_t{1})).shape(), (Shape{1, 4}));  // 0-d index
}

TEST(IndexTensor, OutOfRangeAndNegativeIndicesAreRefused) {
    const Tensor<> x = random_tensor({2, 3}, "errors");
    expect_error<ValueError>(
        [&] {
            gather(x, 1, column(Index{0, 3}));
        },
        "gather: index 3 is out of range for axis 1 of size 3 (shape (2, 3)); "
        "indices lie in [0, 3)");
    expect_error<ValueError>(
        [&] {
            gather(x, 1, column(Index{-1, 0}));
        },
        "gather: index -1 is out of range for axis 1 of size 3");
    expect_error<ValueError>(
        [&] {
            scatter_add(x, 0, Index{{2, 0, 0}}, Tensor<>{{1, 2, 3}});
        },
        "scatter_add: index 2 is out of range for axis 0 of size 2");
    expect_error<ValueError>(
        [&] {
            index_select(x, 1, Index{0, -3});
        },
        "index_select: index -3 is out of range for axis 1 of size 3");
    expect_error<ValueError>([&] { index_select(x, 0, Index{5}); },
                             "index_select: index 5 is out of range for axis 0 of size 2");
    expect_error<ShapeError>(
        [&] {
            index_select(x, 0, Index{{0, 1}});
        },
        "index_select: indices of shape (1, 2); pass a 0-d or 1-d tensor");
    // The float path keeps its own message.
    expect_error<ValueError>(
        [&] {
            gather(x, 1, column(Tensor<>{0.5, 1}));
        },
        "gather: index holds 0.5");
}

TEST(IndexTensor, ArgmaxAndArgminReturnInt64) {
    const Tensor<> x{{3, -1, 7}, {0, 5, 5}};
    const Tensor<std::int64_t> best = argmax(x, 1);  // the type is the point
    EXPECT_EQ(best.shape(), (Shape{2}));
    EXPECT_EQ(best.at({0}), 2);
    EXPECT_EQ(best.at({1}), 1);  // the first of ties
    EXPECT_FALSE(best.requires_grad());
    EXPECT_EQ(argmin(x, 0, true).shape(), (Shape{1, 3}));
    EXPECT_EQ(argmin(x, 0).at({1}), 0);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(argmax(Tensor<>{1, nan, 2}, 0).item(), 1);  // NaN counts as the largest
    EXPECT_EQ(argmax(Tensor<float>{1.0f, 4.0f, 2.0f}, 0).item(), 1);
    // argmax's result picks the maximum with gather, with no conversion.
    const Tensor<> picked = gather(x, 1, reshape(best, {2, 1}));
    EXPECT_TRUE(same(picked, column(Tensor<>{7, 5})));
}

TEST(IndexTensor, MaxPoolIndicesAreInt64AndUnpoolTakesThem) {
    const Tensor<> x = random_tensor({1, 2, 4, 4}, "max_pool");
    const auto [y, indices] = max_pool2d_with_indices(x, 2);
    const Tensor<std::int64_t>& as_int64 = indices;  // the type is the point
    EXPECT_TRUE(
        same(max_unpool2d(y, as_int64, 2), max_unpool2d(y, to_floating<double>(indices), 2)));
    const auto [y1, indices1] = max_pool1d_with_indices(reshape(x, {1, 2, 16}), 3, 2, 1);
    EXPECT_TRUE(same(max_unpool1d(y1, indices1, 3, 2, 1, 16),
                     max_unpool1d(y1, to_floating<double>(indices1), 3, 2, 1, 16)));
    expect_error<ValueError>(
        [&] {
            max_unpool2d(y, Index(xt::xarray<std::int64_t>(xt::full_like(indices.value(), 16))), 2);
        },
        "max_unpool2d: index 16 is not a position in an output plane of 16 "
        "entries; pass the indices max_pool gave");
    expect_error<ValueError>(
        [&] {
            max_unpool2d(y, Index(xt::xarray<std::int64_t>(xt::full_like(indices.value(), -1))), 2);
        },
        "max_unpool2d: index -1 is not a position in an output plane");
}

TEST(IndexTensor, ReshapeFlattenSqueezeUnsqueezeKeepIndices) {
    const Index i{{1, 2, 3}, {4, 5, 6}};
    const Index r = reshape(i, {3, 2});
    EXPECT_EQ(r.at({2, 1}), 6);
    EXPECT_TRUE(detail::shares_storage(r, i));  // a view, as for floats
    EXPECT_EQ(flatten(i).shape(), (Shape{6}));
    EXPECT_EQ(unsqueeze(i, 1).shape(), (Shape{2, 1, 3}));
    EXPECT_EQ(squeeze(unsqueeze(i, 0), 0).shape(), (Shape{2, 3}));
    EXPECT_EQ(squeeze(reshape(i, {1, 6, 1})).shape(), (Shape{6}));
    expect_error<ShapeError>(
        [&] { reshape(i, {4}); },
        "reshape: cannot reshape a tensor of shape (2, 3) (6 elements) to (4)");
}

TEST(IndexTensor, ToInt64AndToFloatingConvertWholeNumbers) {
    const Index i = to_int64(Tensor<>{{-3, 0}, {2, 9007199254740992.0}});
    EXPECT_EQ(i.shape(), (Shape{2, 2}));
    EXPECT_EQ(i.at({0, 0}), -3);
    EXPECT_EQ(i.at({1, 1}), std::int64_t{1} << 53);
    EXPECT_TRUE(same(to_floating<double>(i), Tensor<>{{-3, 0}, {2, 9007199254740992.0}}));
    EXPECT_EQ(to_floating<float>(Index{1, 2}).at({1}), 2.0f);
    EXPECT_EQ(to_int64(Tensor<float>{7.0f}).item(), 7);
    // from a tensor that requires a gradient: the indices do not.
    EXPECT_FALSE(to_int64(Tensor<>(Array<double>{1.0}, true)).requires_grad());
    expect_error<ValueError>(
        [] {
            to_int64(Tensor<>{1, 2.5});
        },
        "to_int64: element 1 is 2.500000, not a whole number in int64's "
        "range [-2^63, 2^63)");
    expect_error<ValueError>([] { to_int64(Tensor<>{std::numeric_limits<double>::quiet_NaN()}); },
                             "to_int64: element 0 is nan");
    expect_error<ValueError>([] { to_int64(Tensor<>{9223372036854775808.0}); },
                             "not a whole number in int64's range");
}

}  // namespace
}  // namespace tg::test
