// Forward values of every op against plain xtensor expressions or plain loops, in float
// and in double.

#include "op_test_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

namespace {

using tg::Shape;
using tg::Tensor;

template <class T>
xt::xarray<double> to_double(const xt::xarray<T>& a) {
    xt::xarray<double> out = xt::xarray<double>::from_shape(a.shape());
    std::copy(a.begin(), a.end(), out.begin());
    return out;
}

template <class T>
xt::xarray<T> from_double(const xt::xarray<double>& a) {
    xt::xarray<T> out = xt::xarray<T>::from_shape(a.shape());
    std::transform(a.begin(), a.end(), out.begin(), [](double v) { return static_cast<T>(v); });
    return out;
}

/// f applied to every element, by a plain loop.
template <class F>
xt::xarray<double> map(const xt::xarray<double>& a, F f) {
    xt::xarray<double> out = xt::xarray<double>::from_shape(a.shape());
    std::transform(a.begin(), a.end(), out.begin(), f);
    return out;
}

Shape unravel(std::size_t flat, const Shape& shape) {
    Shape pos(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        pos[d] = flat % shape[d];
        flat /= shape[d];
    }
    return pos;
}

std::size_t ravel(const Shape& pos, const Shape& shape) {
    std::size_t flat = 0;
    for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + pos[d];
    return flat;
}

/// Sum (or max) over `axes` (non-negative) by a loop over every element, in double.
xt::xarray<double> loop_reduce(const xt::xarray<double>& x, const std::vector<std::size_t>& axes,
                               bool keepdims, bool take_max = false) {
    const Shape shape(x.shape().begin(), x.shape().end());
    Shape kept = shape, removed;
    for (std::size_t a : axes) kept[a] = 1;
    for (std::size_t d = 0; d < shape.size(); ++d)
        if (std::find(axes.begin(), axes.end(), d) == axes.end()) removed.push_back(shape[d]);
    xt::xarray<double> out = xt::xarray<double>::from_shape(kept);
    std::fill(out.begin(), out.end(), take_max ? -std::numeric_limits<double>::infinity() : 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        Shape pos = unravel(i, shape);
        for (std::size_t a : axes) pos[a] = 0;
        double& o = out.data()[ravel(pos, kept)];
        o = take_max ? std::max(o, x.data()[i]) : o + x.data()[i];
    }
    if (!keepdims) out.reshape(removed);
    return out;
}

/// op(a) @ op(b) by a triple loop, in double.
xt::xarray<double> loop_matmul(const xt::xarray<double>& a, const xt::xarray<double>& b,
                               bool ta = false, bool tb = false) {
    const std::size_t n = ta ? a.shape()[1] : a.shape()[0], k = ta ? a.shape()[0] : a.shape()[1];
    const std::size_t m = tb ? b.shape()[0] : b.shape()[1];
    xt::xarray<double> out = xt::zeros<double>({n, m});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
            for (std::size_t p = 0; p < k; ++p)
                out(i, j) += (ta ? a(p, i) : a(i, p)) * (tb ? b(j, p) : b(p, j));
    return out;
}

/// softmax (or log_softmax) along `axis` by loops, in double.
xt::xarray<double> loop_softmax(const xt::xarray<double>& x, std::size_t axis, bool log_space) {
    const Shape shape(x.shape().begin(), x.shape().end());
    xt::xarray<double> out = xt::xarray<double>::from_shape(shape);
    std::size_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
    for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
    const std::size_t n = shape[axis];
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) {
            auto at = [&](std::size_t k) { return (o * n + k) * inner + i; };
            double m = x.data()[at(0)];
            for (std::size_t k = 1; k < n; ++k) m = std::max(m, x.data()[at(k)]);
            double total = 0;
            for (std::size_t k = 0; k < n; ++k) total += std::exp(x.data()[at(k)] - m);
            for (std::size_t k = 0; k < n; ++k)
                out.data()[at(k)] = log_space ? x.data()[at(k)] - m - std::log(total)
                                              : std::exp(x.data()[at(k)] - m) / total;
        }
    return out;
}

template <class T>
class OpForward : public ::testing::Test {
protected:
    static constexpr bool is_float = std::is_same_v<T, float>;
    static constexpr double rtol = is_float ? 2e-6 : 1e-13;
    static constexpr double atol = is_float ? 1e-6 : 1e-14;

    xt::xarray<T> random(const Shape& shape, double lo = -1.5, double hi = 1.5) {
        return tg::test::random_array<T>(shape, rng_, lo, hi);
    }
    /// Compares with a reference computed in T or in double.
    template <class E>
    ::testing::AssertionResult close(const Tensor<T>& actual, const E& expected, double scale = 1) {
        return tg::test::all_close(actual, expected, rtol * scale, atol * scale);
    }
    ::testing::AssertionResult close_d(const Tensor<T>& actual, const xt::xarray<double>& expected,
                                       double scale = 1) {
        return close(actual, from_double<T>(expected), scale);
    }

    std::mt19937_64 rng_{12345};
};

using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(OpForward, ElementTypes);

const std::vector<Shape> kBroadcastShapes = {{}, {1}, {4}, {3, 1}, {1, 4}, {3, 4}};

TYPED_TEST(OpForward, ArithmeticBroadcastsLikeXtensor) {
    using T = TypeParam;
    for (const Shape& sa : kBroadcastShapes)
        for (const Shape& sb : kBroadcastShapes) {
            SCOPED_TRACE(tg::shape_str(sa) + " with " + tg::shape_str(sb));
            const xt::xarray<T> a = this->random(sa), b = this->random(sb, 0.5, 2.0);
            const Tensor<T> ta(a), tb(b);
            EXPECT_TRUE(this->close(tg::add(ta, tb), xt::xarray<T>(a + b)));
            EXPECT_TRUE(this->close(tg::sub(ta, tb), xt::xarray<T>(a - b)));
            EXPECT_TRUE(this->close(tg::mul(ta, tb), xt::xarray<T>(a * b)));
            EXPECT_TRUE(this->close(tg::div(ta, tb), xt::xarray<T>(a / b), 2));
            EXPECT_TRUE(this->close(ta + tb, xt::xarray<T>(a + b)));
            EXPECT_TRUE(this->close(ta - tb, xt::xarray<T>(a - b)));
            EXPECT_TRUE(this->close(ta * tb, xt::xarray<T>(a * b)));
            EXPECT_TRUE(this->close(ta / tb, xt::xarray<T>(a / b), 2));
            EXPECT_TRUE(this->close(tg::maximum(ta, tb), xt::xarray<T>(xt::maximum(a, b))));
            EXPECT_TRUE(this->close(tg::minimum(ta, tb), xt::xarray<T>(xt::minimum(a, b))));
        }
}

TYPED_TEST(OpForward, NegAndScalarOperators) {
    using T = TypeParam;
    const xt::xarray<T> x = this->random({3, 4}, 0.5, 2.0);
    const Tensor<T> t(x);
    EXPECT_TRUE(this->close(tg::neg(t), xt::xarray<T>(-x)));
    EXPECT_TRUE(this->close(-t, xt::xarray<T>(-x)));
    EXPECT_TRUE(this->close(t + T(2), xt::xarray<T>(x + T(2))));
    EXPECT_TRUE(this->close(T(2) + t, xt::xarray<T>(x + T(2))));
    EXPECT_TRUE(this->close(t - T(2), xt::xarray<T>(x - T(2))));
    EXPECT_TRUE(this->close(T(2) - t, xt::xarray<T>(T(2) - x)));
    EXPECT_TRUE(this->close(t * T(3), xt::xarray<T>(x * T(3))));
    EXPECT_TRUE(this->close(T(3) * t, xt::xarray<T>(x * T(3))));
    EXPECT_TRUE(this->close(T(1) / t, xt::xarray<T>(T(1) / x), 2));
    EXPECT_TRUE(this->close(t / T(4), xt::xarray<T>(x / T(4))));
    // Literals of another type than T still work (the scalar is not deduced).
    EXPECT_TRUE(this->close(t * 3, xt::xarray<T>(x * T(3))));
}

TYPED_TEST(OpForward, ElementwiseMathMatchesStd) {
    using T = TypeParam;
    const xt::xarray<T> x = this->random({3, 4});
    const xt::xarray<T> p = this->random({3, 4}, 0.5, 2.0);
    const Tensor<T> tx(x), tp(p);
    const xt::xarray<double> xd = to_double(x), pd = to_double(p);
    EXPECT_TRUE(this->close_d(tg::pow(tx, T(3)), map(xd, [](double v) { return v * v * v; }), 4));
    EXPECT_TRUE(
        this->close_d(tg::pow(tp, T(2.5)), map(pd, [](double v) { return std::pow(v, 2.5); }), 4));
    EXPECT_TRUE(this->close_d(tg::pow(tp, T(-1)), map(pd, [](double v) { return 1 / v; }), 4));
    EXPECT_TRUE(this->close_d(tg::square(tx), map(xd, [](double v) { return v * v; }), 2));
    EXPECT_TRUE(this->close_d(tg::sqrt(tp), map(pd, [](double v) { return std::sqrt(v); }), 2));
    EXPECT_TRUE(this->close_d(tg::exp(tx), map(xd, [](double v) { return std::exp(v); }), 2));
    EXPECT_TRUE(this->close_d(tg::log(tp), map(pd, [](double v) { return std::log(v); }), 2));
    EXPECT_TRUE(this->close_d(tg::abs(tx), map(xd, [](double v) { return std::abs(v); })));
}

TYPED_TEST(OpForward, ActivationsMatchTheirFormulas) {
    using T = TypeParam;
    xt::xarray<T> x = this->random({3, 4}, -4, 4);
    x(0, 0) = T(0);  // the kink of relu and leaky_relu
    const Tensor<T> t(x);
    const xt::xarray<double> xd = to_double(x);
    EXPECT_TRUE(
        this->close_d(tg::sigmoid(t), map(xd, [](double v) { return 1 / (1 + std::exp(-v)); }), 2));
    EXPECT_TRUE(this->close_d(tg::tanh(t), map(xd, [](double v) { return std::tanh(v); }), 2));
    EXPECT_TRUE(this->close_d(tg::relu(t), map(xd, [](double v) { return v > 0 ? v : 0.0; })));
    EXPECT_TRUE(
        this->close_d(tg::leaky_relu(t), map(xd, [](double v) { return v > 0 ? v : 0.01 * v; })));
    EXPECT_TRUE(this->close_d(tg::leaky_relu(t, T(0.2)),
                              map(xd, [](double v) { return v > 0 ? v : 0.2 * v; })));
    EXPECT_TRUE(this->close_d(tg::softplus(t),
                              map(xd, [](double v) { return std::log1p(std::exp(v)); }), 2));
}

TYPED_TEST(OpForward, SoftplusIsStableForLargeMagnitudes) {
    using T = TypeParam;
    const Tensor<T> t(xt::xarray<T>{-100, -30, 0, 30, 100, 1000});
    const xt::xarray<double> expected = {std::exp(-100.0),
                                         std::log1p(std::exp(-30.0)),
                                         std::log(2.0),
                                         30,  // x itself above the threshold 20, as PyTorch
                                         100,
                                         1000};
    // A naive log(1 + eˣ) gives inf at 100 in float and at 1000 in double.
    const Tensor<T> y = tg::softplus(t);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double got = static_cast<double>(y.value()(i));
        EXPECT_TRUE(std::isfinite(got)) << "element " << i;
        EXPECT_NEAR(got, expected(i), this->rtol * std::abs(expected(i)) + 1e-40)
            << "element " << i;
    }
}

TYPED_TEST(OpForward, ClampLimitsToBounds) {
    using T = TypeParam;
    const xt::xarray<T> x = {-2, T(-0.5), T(-0.25), 0, T(0.3), T(0.5), 7};
    const xt::xarray<T> expected = {T(-0.5), T(-0.5), T(-0.25), 0, T(0.3), T(0.5), T(0.5)};
    EXPECT_TRUE(this->close(tg::clamp(Tensor<T>(x), T(-0.5), T(0.5)), expected));
}

TYPED_TEST(OpForward, SumAndMeanOverEverythingAreZeroDimensional) {
    using T = TypeParam;
    for (const Shape& s : {Shape{}, Shape{5}, Shape{3, 4}, Shape{2, 3, 4}}) {
        SCOPED_TRACE(tg::shape_str(s));
        const xt::xarray<T> x = this->random(s);
        double total = 0;
        for (T e : x) total += e;
        const Tensor<T> sum = tg::sum(Tensor<T>(x));
        const Tensor<T> mean = tg::mean(Tensor<T>(x));
        EXPECT_EQ(sum.shape(), Shape{});
        EXPECT_EQ(mean.shape(), Shape{});
        EXPECT_TRUE(this->close_d(sum, xt::xarray<double>(total), 4));
        EXPECT_TRUE(
            this->close_d(mean, xt::xarray<double>(total / static_cast<double>(x.size())), 4));
    }
}

TYPED_TEST(OpForward, SumAndMeanOverAxesMatchLoops) {
    using T = TypeParam;
    struct Case {
        Shape shape;
        tg::Axes axes;
        std::vector<std::size_t> normalized;
    };
    const std::vector<Case> cases = {
        {{3, 4}, {0}, {0}},
        {{3, 4}, {1}, {1}},
        {{3, 4}, {-1}, {1}},
        {{3, 4}, {-2}, {0}},
        {{3, 4}, {0, 1}, {0, 1}},
        {{3, 4}, {1, -2}, {0, 1}},
        {{2, 3, 4}, {1}, {1}},
        {{2, 3, 4}, {0, 2}, {0, 2}},
        {{2, 3, 4}, {-1, 0}, {0, 2}},
        {{2, 3, 4}, {0, 1, 2}, {0, 1, 2}},
        {{5}, {0}, {0}},
        {{4, 1}, {1}, {1}},
    };
    for (const Case& c : cases)
        for (bool keep : {false, true}) {
            SCOPED_TRACE(tg::shape_str(c.shape) + " axes " + tg::shape_str(c.axes) +
                         (keep ? " keepdims" : ""));
            const xt::xarray<T> x = this->random(c.shape);
            const xt::xarray<double> expected = loop_reduce(to_double(x), c.normalized, keep);
            double count = 1;
            for (std::size_t a : c.normalized) count *= static_cast<double>(c.shape[a]);
            EXPECT_TRUE(this->close_d(tg::sum(Tensor<T>(x), c.axes, keep), expected, 4));
            EXPECT_TRUE(this->close_d(tg::mean(Tensor<T>(x), c.axes, keep), expected / count, 4));
        }
}

TYPED_TEST(OpForward, MaxAlongAxisMatchesLoop) {
    using T = TypeParam;
    for (const Shape& s : {Shape{5}, Shape{3, 4}, Shape{2, 3, 4}})
        for (long axis = -static_cast<long>(s.size()); axis < static_cast<long>(s.size()); ++axis)
            for (bool keep : {false, true}) {
                SCOPED_TRACE(tg::shape_str(s) + " axis " + std::to_string(axis) +
                             (keep ? " keepdims" : ""));
                const xt::xarray<T> x = this->random(s);
                const std::size_t a =
                    static_cast<std::size_t>(axis < 0 ? axis + static_cast<long>(s.size()) : axis);
                EXPECT_TRUE(this->close_d(tg::max(Tensor<T>(x), axis, keep),
                                          loop_reduce(to_double(x), {a}, keep, true)));
            }
}

TYPED_TEST(OpForward, MatmulGemmAndLinearMatchLoops) {
    using T = TypeParam;
    const xt::xarray<T> a = this->random({3, 4}), b = this->random({4, 2});
    EXPECT_TRUE(this->close_d(tg::matmul(Tensor<T>(a), Tensor<T>(b)),
                              loop_matmul(to_double(a), to_double(b)), 8));

    const xt::xarray<T> batch = this->random({2, 3, 4});
    const Tensor<T> batched = tg::matmul(Tensor<T>(batch), Tensor<T>(b));
    ASSERT_EQ(batched.shape(), (Shape{2, 3, 2}));
    for (std::size_t i = 0; i < 2; ++i) {
        const xt::xarray<double> slice = xt::view(to_double(batch), i, xt::all(), xt::all());
        const xt::xarray<double> expected = loop_matmul(slice, to_double(b));
        const Tensor<T> got(xt::xarray<T>(xt::view(batched.value(), i, xt::all(), xt::all())));
        EXPECT_TRUE(this->close_d(got, expected, 8)) << "batch " << i;
    }

    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            SCOPED_TRACE(std::string("gemm transpose_a=") + (ta ? "1" : "0") +
                         " transpose_b=" + (tb ? "1" : "0"));
            const xt::xarray<T> ga = this->random(ta ? Shape{4, 3} : Shape{3, 4});
            const xt::xarray<T> gb = this->random(tb ? Shape{2, 4} : Shape{4, 2});
            EXPECT_TRUE(this->close_d(tg::gemm(Tensor<T>(ga), Tensor<T>(gb), ta, tb),
                                      loop_matmul(to_double(ga), to_double(gb), ta, tb), 8));
        }

    // Products of at most 16 multiply-adds take three plain loops (the first five sizes).
    // A single row (n = 1) and an outer product (k = 1) of up to 4,096 multiply-adds take
    // SIMD register tiles, larger ones BLAS ({1, 200, 30}, {70, 1, 70}). A register holds
    // S = 2, 4, 8 or 16 values (SSE2 or NEON, AVX, AVX-512; double or float), and every
    // tile path must run whatever width the build targets (NATIVE=ON or OFF): m = 95
    // gives columns in tiles of 4·S, of S and a remainder of single columns for each of
    // those S, and 4-row dot products with a remainder of rows; k = 33 leaves a remainder
    // after the S-wide chunks of a dot product for each S.
    const std::size_t sizes[][3] = {{1, 1, 1},   {2, 2, 2},    {2, 4, 2},   {3, 1, 5},  {1, 3, 5},
                                    {1, 13, 5},  {1, 1, 7},    {6, 1, 3},   {1, 20, 1}, {1, 8, 8},
                                    {2, 5, 3},   {1, 200, 30}, {70, 1, 70}, {1, 40, 9}, {1, 33, 95},
                                    {1, 40, 95}, {43, 1, 95}};
    for (const auto& size : sizes)
        for (bool ta : {false, true})
            for (bool tb : {false, true}) {
                const std::size_t n = size[0], k = size[1], m = size[2];
                SCOPED_TRACE("gemm n=" + std::to_string(n) + " k=" + std::to_string(k) +
                             " m=" + std::to_string(m) + " ta=" + std::to_string(ta) +
                             " tb=" + std::to_string(tb));
                const xt::xarray<T> ga = this->random(ta ? Shape{k, n} : Shape{n, k});
                const xt::xarray<T> gb = this->random(tb ? Shape{m, k} : Shape{k, m});
                EXPECT_TRUE(this->close_d(tg::gemm(Tensor<T>(ga), Tensor<T>(gb), ta, tb),
                                          loop_matmul(to_double(ga), to_double(gb), ta, tb), 8));
            }

    const xt::xarray<T> row = this->random({1, 20}), w20 = this->random({7, 20}),
                        b7 = this->random({7});
    xt::xarray<double> row_expected = loop_matmul(to_double(row), to_double(w20), false, true);
    for (std::size_t c = 0; c < 7; ++c) row_expected(0, c) += b7(c);
    EXPECT_TRUE(
        this->close_d(tg::linear(Tensor<T>(row), Tensor<T>(w20), Tensor<T>(b7)), row_expected, 8));

    // A bias added before the product accumulates onto it, tiny products included.
    const xt::xarray<T> tiny_x = this->random({2, 3}), tiny_w = this->random({2, 3}),
                        tiny_b = this->random({2});
    xt::xarray<double> tiny_expected =
        loop_matmul(to_double(tiny_x), to_double(tiny_w), false, true);
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t c = 0; c < 2; ++c) tiny_expected(r, c) += tiny_b(c);
    EXPECT_TRUE(this->close_d(tg::linear(Tensor<T>(tiny_x), Tensor<T>(tiny_w), Tensor<T>(tiny_b)),
                              tiny_expected, 8));

    const xt::xarray<T> x = this->random({3, 4}), w = this->random({2, 4}),
                        bias = this->random({2});
    xt::xarray<double> expected = loop_matmul(to_double(x), to_double(w), false, true);
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t c = 0; c < 2; ++c) expected(r, c) += bias(c);
    EXPECT_TRUE(
        this->close_d(tg::linear(Tensor<T>(x), Tensor<T>(w), Tensor<T>(bias)), expected, 8));
}

/// out[i₀, ..., i_{r−1}] = a[j] with j[perm[k]] = i_k: permute written as an index loop,
/// independent of xt::transpose (which shape.cpp itself calls).
template <class T>
xt::xarray<T> permuted_by_loop(const xt::xarray<T>& a, const std::vector<std::size_t>& perm) {
    const std::size_t r = perm.size();
    Shape shape(r);
    for (std::size_t k = 0; k < r; ++k) shape[k] = a.shape()[perm[k]];
    xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
    Shape j(r);
    for (std::size_t flat = 0; flat < out.size(); ++flat) {
        const Shape i = unravel(flat, shape);
        for (std::size_t k = 0; k < r; ++k) j[perm[k]] = i[k];
        out.data()[flat] = a.element(j.begin(), j.end());
    }
    return out;
}

TYPED_TEST(OpForward, TransposePermuteReshapeMatchLoops) {
    using T = TypeParam;
    const xt::xarray<T> m = this->random({3, 4});
    const xt::xarray<T> c = this->random({2, 3, 4});
    // Copies of the values: exact.
    EXPECT_EQ(tg::transpose(Tensor<T>(m)).value(), permuted_by_loop(m, {1, 0}));
    EXPECT_EQ(tg::transpose(Tensor<T>(c)).value(), permuted_by_loop(c, {2, 1, 0}));
    for (const std::vector<std::size_t>& perm : {std::vector<std::size_t>{0, 1, 2},
                                                 {1, 2, 0},
                                                 {2, 0, 1},
                                                 {0, 2, 1},
                                                 {2, 1, 0},
                                                 {1, 0, 2}}) {
        SCOPED_TRACE("perm " + tg::shape_str(perm));
        EXPECT_EQ(tg::permute(Tensor<T>(c), perm).value(), permuted_by_loop(c, perm));
    }
    const xt::xarray<T> d = this->random({2, 3, 4, 5});
    for (const std::vector<std::size_t>& perm :
         {std::vector<std::size_t>{3, 1, 0, 2}, {0, 3, 2, 1}}) {
        SCOPED_TRACE("perm " + tg::shape_str(perm));
        EXPECT_EQ(tg::permute(Tensor<T>(d), perm).value(), permuted_by_loop(d, perm));
    }
    xt::xarray<T> reshaped = m;
    reshaped.reshape({2, 6});
    EXPECT_TRUE(this->close(tg::reshape(Tensor<T>(m), {2, 6}), reshaped));
    reshaped.reshape({12});
    EXPECT_TRUE(this->close(tg::reshape(Tensor<T>(m), {12}), reshaped));
    const Tensor<T> one = tg::reshape(Tensor<T>(T(7)), {1, 1});
    xt::xarray<T> seven = xt::xarray<T>::from_shape({1, 1});
    seven.fill(T(7));
    EXPECT_TRUE(this->close(one, seven));
}

TYPED_TEST(OpForward, BroadcastToAndSumToMatchXtensor) {
    using T = TypeParam;
    struct Case {
        Shape small, big;
    };
    for (const Case& c : std::vector<Case>{{{}, {3, 4}},
                                           {{4}, {3, 4}},
                                           {{3, 1}, {3, 4}},
                                           {{1, 4}, {2, 3, 4}},
                                           {{3, 1}, {2, 3, 4}},
                                           // a middle axis, and the first and last
                                           {{2, 1, 4}, {2, 3, 4}},
                                           {{1, 3, 1}, {2, 3, 4}},
                                           {{1}, {5}},
                                           {{3, 4}, {3, 4}},
                                           // bias gradients: register tiles of 4 vectors,
                                           // 1 vector and single columns (S = 8 or 16)
                                           {{70}, {5, 70}},
                                           {{1, 130}, {3, 130}},
                                           {{17}, {1, 17}},
                                           {{7}, {33, 7}},
                                           // a middle axis (max's backward), several
                                           // broadcast axes, an empty target
                                           {{2, 1, 5}, {2, 3, 5}},
                                           {{3, 1, 1}, {2, 3, 2, 4}},
                                           {{1, 4}, {0, 4}}}) {
        SCOPED_TRACE(tg::shape_str(c.small) + " <-> " + tg::shape_str(c.big));
        const xt::xarray<T> small = this->random(c.small);
        EXPECT_TRUE(this->close(tg::broadcast_to(Tensor<T>(small), c.big),
                                xt::xarray<T>(xt::broadcast(small, c.big))));

        const xt::xarray<T> big = this->random(c.big);
        // sum_to: sum the leading axes away, then the axes where `small` has size 1.
        std::vector<std::size_t> axes;
        const std::size_t lead = c.big.size() - c.small.size();
        for (std::size_t i = 0; i < c.big.size(); ++i)
            if (i < lead || (c.small[i - lead] == 1 && c.big[i] != 1)) axes.push_back(i);
        xt::xarray<double> expected = loop_reduce(to_double(big), axes, true);
        expected.reshape(c.small);
        EXPECT_TRUE(this->close_d(tg::sum_to(Tensor<T>(big), c.small), expected, 4));
    }
}

TYPED_TEST(OpForward, ConcatAndNarrowMatchViews) {
    using T = TypeParam;
    const xt::xarray<T> a = this->random({2, 4}), b = this->random({3, 4});
    EXPECT_TRUE(this->close(tg::concat(std::vector<Tensor<T>>{Tensor<T>(a), Tensor<T>(b)}, 0),
                            xt::xarray<T>(xt::concatenate(xt::xtuple(a, b), 0))));
    const xt::xarray<T> p = this->random({3, 2}), q = this->random({3, 4}),
                        r = this->random({3, 1});
    const xt::xarray<T> pqr = xt::concatenate(xt::xtuple(p, q, r), 1);
    EXPECT_TRUE(this->close(
        tg::concat(std::vector<Tensor<T>>{Tensor<T>(p), Tensor<T>(q), Tensor<T>(r)}, 1), pqr));
    EXPECT_TRUE(this->close(
        tg::concat(std::vector<Tensor<T>>{Tensor<T>(p), Tensor<T>(q), Tensor<T>(r)}, -1), pqr));
    EXPECT_TRUE(this->close(tg::concat(std::vector<Tensor<T>>{Tensor<T>(a)}, 0), a));

    const xt::xarray<T> c = this->random({2, 3, 4});
    EXPECT_TRUE(this->close(tg::narrow(Tensor<T>(c), 1, 1, 2),
                            xt::xarray<T>(xt::view(c, xt::all(), xt::range(1, 3), xt::all()))));
    EXPECT_TRUE(this->close(tg::narrow(Tensor<T>(c), -1, 3, 1),
                            xt::xarray<T>(xt::view(c, xt::all(), xt::all(), xt::range(3, 4)))));
    EXPECT_TRUE(this->close(tg::narrow(Tensor<T>(c), 0, 0, 2), c));
}

TYPED_TEST(OpForward, RowsAndIndexAddRowsMatchLoops) {
    using T = TypeParam;
    const xt::xarray<T> x = this->random({4, 3});
    const tg::Indices idx = {2, 0, 2, 3, 2};
    xt::xarray<T> gathered = xt::xarray<T>::from_shape({5, 3});
    for (std::size_t i = 0; i < idx.size(); ++i)
        xt::view(gathered, i, xt::all()) = xt::view(x, idx[i], xt::all());
    EXPECT_TRUE(this->close(tg::rows(Tensor<T>(x), idx), gathered));
    EXPECT_TRUE(this->close(tg::rows(Tensor<T>(x), {}), xt::xarray<T>(xt::zeros<T>({0, 3}))));

    const xt::xarray<T> src = this->random({5, 3});
    xt::xarray<double> added = xt::zeros<double>({4, 3});
    for (std::size_t i = 0; i < idx.size(); ++i)
        for (std::size_t j = 0; j < 3; ++j) added(idx[i], j) += src(i, j);
    EXPECT_TRUE(this->close_d(tg::index_add_rows(Tensor<T>(src), idx, 4), added, 4));

    const xt::xarray<T> v = this->random({5});
    const Tensor<T> picked = tg::rows(Tensor<T>(v), {4, 4, 1});
    EXPECT_TRUE(this->close(picked, xt::xarray<T>{v(4), v(4), v(1)}));
}

TYPED_TEST(OpForward, SoftmaxAndLogSoftmaxMatchLoops) {
    using T = TypeParam;
    for (const Shape& s : {Shape{5}, Shape{3, 4}, Shape{2, 3, 4}, Shape{3, 1}})
        for (long axis = -static_cast<long>(s.size()); axis < static_cast<long>(s.size()); ++axis) {
            SCOPED_TRACE(tg::shape_str(s) + " axis " + std::to_string(axis));
            const xt::xarray<T> x = this->random(s, -5, 5);
            const std::size_t a =
                static_cast<std::size_t>(axis < 0 ? axis + static_cast<long>(s.size()) : axis);
            EXPECT_TRUE(this->close_d(tg::softmax(Tensor<T>(x), axis),
                                      loop_softmax(to_double(x), a, false), 4));
            EXPECT_TRUE(this->close_d(tg::log_softmax(Tensor<T>(x), axis),
                                      loop_softmax(to_double(x), a, true), 4));
        }
    // The default axis is the last one.
    const xt::xarray<T> x = this->random({3, 4});
    EXPECT_TRUE(this->close_d(tg::softmax(Tensor<T>(x)), loop_softmax(to_double(x), 1, false), 4));
}

TYPED_TEST(OpForward, SoftmaxIsStableForLargeLogits) {
    using T = TypeParam;
    const Tensor<T> x(xt::xarray<T>{{1000, 1000}, {-1000, 0}});
    EXPECT_TRUE(this->close(tg::softmax(x, 1), xt::xarray<T>{{T(0.5), T(0.5)}, {0, 1}}));
    const Tensor<T> ls = tg::log_softmax(x, 1);
    // x − max − log Σ exp(x − max): the second row is −1000 − log(e⁻¹⁰⁰⁰ + 1) = −1000
    // and 0 exactly; the first is −log 2, to the last bit of T.
    EXPECT_NEAR(static_cast<double>(ls.value()(0, 0)), -std::log(2.0),
                std::numeric_limits<T>::epsilon());
    EXPECT_EQ(ls.value()(1, 0), T(-1000));
    EXPECT_EQ(ls.value()(1, 1), T(0));
}

}  // namespace
