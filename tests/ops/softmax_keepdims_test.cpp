// xtensor 0.24.3 gives wrong values for a lazy keep_dims reducer inside a broadcast,
// `x - xt::sum(x, {1}, xt::keep_dims)` (docs/notes.md): the softmax pattern. tapegrad's
// softmax, log_softmax, and its own keepdims reductions used in a broadcast must be exact
// on the shapes where that bug shows: compared here with plain loops, in double.

#include "op_test_util.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

using tg::Shape;
using tg::Tensor;

struct Lanes {
    std::size_t outer = 1, n = 1, inner = 1;
    std::size_t at(std::size_t o, std::size_t k, std::size_t i) const {
        return (o * n + k) * inner + i;
    }
};

Lanes lanes(const Shape& shape, std::size_t axis) {
    Lanes l;
    for (std::size_t d = 0; d < axis; ++d) l.outer *= shape[d];
    for (std::size_t d = axis + 1; d < shape.size(); ++d) l.inner *= shape[d];
    l.n = shape[axis];
    return l;
}

/// softmax or log_softmax along `axis` by plain loops.
xt::xarray<double> loop_softmax(const xt::xarray<double>& x, std::size_t axis, bool log_space) {
    const Shape shape(x.shape().begin(), x.shape().end());
    const Lanes l = lanes(shape, axis);
    xt::xarray<double> y = xt::xarray<double>::from_shape(shape);
    const double* in = x.data();
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            double m = in[l.at(o, 0, i)];
            for (std::size_t k = 1; k < l.n; ++k) m = std::max(m, in[l.at(o, k, i)]);
            double total = 0;
            for (std::size_t k = 0; k < l.n; ++k) total += std::exp(in[l.at(o, k, i)] - m);
            for (std::size_t k = 0; k < l.n; ++k) {
                const double z = in[l.at(o, k, i)] - m;
                y.data()[l.at(o, k, i)] = log_space ? z - std::log(total) : std::exp(z) / total;
            }
        }
    return y;
}

/// Each element replaced by the sum (or mean, or max) of its lane along `axis`: the
/// keepdims reduction broadcast back to x's shape, by plain loops.
enum class Reduce { sum, mean, max };
xt::xarray<double> loop_lane_value(const xt::xarray<double>& x, std::size_t axis, Reduce how) {
    const Shape shape(x.shape().begin(), x.shape().end());
    const Lanes l = lanes(shape, axis);
    xt::xarray<double> y = xt::xarray<double>::from_shape(shape);
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            double r = how == Reduce::max ? x.data()[l.at(o, 0, i)] : 0.0;
            for (std::size_t k = 0; k < l.n; ++k) {
                const double v = x.data()[l.at(o, k, i)];
                r = how == Reduce::max ? std::max(r, v) : r + v;
            }
            if (how == Reduce::mean) r /= static_cast<double>(l.n);
            for (std::size_t k = 0; k < l.n; ++k) y.data()[l.at(o, k, i)] = r;
        }
    return y;
}

/// |got − expected| <= rel · max(1, |expected|) everywhere: relative for values above 1,
/// absolute below (log_softmax and centered values pass through 0).
::testing::AssertionResult exact(const Tensor<double>& got, const xt::xarray<double>& expected,
                                 double rel = 2e-15) {
    const Shape want(expected.shape().begin(), expected.shape().end());
    if (got.shape() != want)
        return ::testing::AssertionFailure()
               << "shape " << tg::shape_str(got.shape()) << ", expected " << tg::shape_str(want);
    for (std::size_t j = 0; j < expected.size(); ++j) {
        const double a = got.value().data()[j], b = expected.data()[j];
        if (!(std::abs(a - b) <= rel * std::max(1.0, std::abs(b))))
            return ::testing::AssertionFailure() << "element " << j << ": got " << a
                                                 << ", expected " << b << " (diff " << a - b << ")";
    }
    return ::testing::AssertionSuccess();
}

struct Case {
    Shape shape;
    long axis;
};

std::string describe(const Case& c) {
    return tg::shape_str(c.shape) + " axis " + std::to_string(c.axis);
}

std::size_t positive_axis(const Case& c) {
    return static_cast<std::size_t>(c.axis < 0 ? c.axis + static_cast<long>(c.shape.size())
                                               : c.axis);
}

const std::vector<Case> kCases = {
    {{4096, 32}, 1}, {{4096, 32}, 0}, {{4096, 32}, -1}, {{3, 5}, 1},
    {{3, 5}, 0},     {{1, 7}, 1},     {{1, 7}, 0},      {{5, 1}, 1},
    {{5, 1}, 0},     {{4, 5, 6}, 1},  {{4, 5, 6}, -1},  {{7}, 0},
};

xt::xarray<double> logits(const Shape& shape, const std::string& name) {
    std::mt19937_64 rng(tg::test::seed_of(name));
    return tg::test::random_array<double>(shape, rng, -8, 8);
}

TEST(SoftmaxKeepdims, SoftmaxMatchesLoopExactly) {
    for (const Case& c : kCases) {
        SCOPED_TRACE(describe(c));
        const xt::xarray<double> x = logits(c.shape, describe(c));
        EXPECT_TRUE(exact(tg::softmax(Tensor<double>(x), c.axis),
                          loop_softmax(x, positive_axis(c), false)));
    }
}

TEST(SoftmaxKeepdims, LogSoftmaxMatchesLoopExactly) {
    for (const Case& c : kCases) {
        SCOPED_TRACE(describe(c));
        const xt::xarray<double> x = logits(c.shape, describe(c));
        EXPECT_TRUE(exact(tg::log_softmax(Tensor<double>(x), c.axis),
                          loop_softmax(x, positive_axis(c), true)));
    }
}

TEST(SoftmaxKeepdims, KeepdimsReductionsBroadcastExactly) {
    // The pattern that is wrong in xtensor, written with tapegrad's ops.
    for (const Case& c : kCases) {
        SCOPED_TRACE(describe(c));
        const xt::xarray<double> x = logits(c.shape, describe(c));
        const std::size_t a = positive_axis(c);
        const Tensor<double> t(x);
        // Tolerances allow for another summation order (4096 terms); the bug is off by O(1).
        EXPECT_TRUE(
            exact(t - tg::sum(t, {c.axis}, true), x - loop_lane_value(x, a, Reduce::sum), 1e-10));
        EXPECT_TRUE(
            exact(t - tg::mean(t, {c.axis}, true), x - loop_lane_value(x, a, Reduce::mean), 1e-12));
        EXPECT_TRUE(exact(t - tg::max(t, c.axis, true), x - loop_lane_value(x, a, Reduce::max), 0));
    }
}

TEST(SoftmaxKeepdims, SoftmaxComposedFromKeepdimsOpsMatchesLoop) {
    for (const Case& c : kCases) {
        SCOPED_TRACE(describe(c));
        const xt::xarray<double> x = logits(c.shape, describe(c));
        const Tensor<double> t(x);
        const Tensor<double> e = tg::exp(t - tg::max(t, c.axis, true));
        EXPECT_TRUE(
            exact(e / tg::sum(e, {c.axis}, true), loop_softmax(x, positive_axis(c), false), 1e-13));
    }
}

TEST(SoftmaxKeepdims, SoftmaxGradientMatchesFormula) {
    // d <softmax(x), w> / dx = y ⊙ (w − Σ_axis w ⊙ y): its backward also reduces with keepdims.
    for (const Case& c : kCases) {
        SCOPED_TRACE(describe(c));
        const xt::xarray<double> x = logits(c.shape, describe(c));
        const xt::xarray<double> w = logits(c.shape, describe(c) + " w");
        const std::size_t a = positive_axis(c);
        const xt::xarray<double> y = loop_softmax(x, a, false);
        const xt::xarray<double> wy = w * y;
        const xt::xarray<double> expected = y * (w - loop_lane_value(wy, a, Reduce::sum));

        tg::Tape tape;
        const Tensor<double> p = tg::parameter<double>(x);
        const Tensor<double> grad =
            tape.gradient(tg::sum(tg::softmax(p, c.axis) * Tensor<double>(w)), {p})[0];
        EXPECT_TRUE(exact(grad, expected, 1e-12));
    }
}

}  // namespace
