// Forward values of the elementwise math, trigonometric and activation ops against plain
// std:: formulas in double, in float and double, on sizes below and above
// kVectorizedMinSize (the plain loop and the vectorized expression); pow and atan2 over
// broadcasting shape pairs; sign's gradient, which is exactly 0; and the broadcasting
// errors of pow and atan2, which name the op and record nothing.

#include "op_test_util.hpp"

#include <tapegrad/broadcast.hpp>
#include <tapegrad/detail/vectorize.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::Shape;
using tg::Tensor;

/// One size on each side of kVectorizedMinSize, and the threshold itself.
const std::vector<std::size_t> kSizes = {12, tg::detail::kVectorizedMinSize, 1000};

template <class T>
class ElementwiseValues : public ::testing::Test {
protected:
    static constexpr bool is_float = std::is_same_v<T, float>;
    static constexpr double rtol = is_float ? 2e-6 : 1e-13;
    // xsimd's double erf and erfc (the vectorized gelu, erf, erfc) are accurate to about
    // 1e-14 absolute, not relative: gelu near x = −2.9 (a value of −0.0029) is off by 1e-14.
    static constexpr double atol = is_float ? 1e-6 : 5e-14;

    xt::xarray<T> random(const Shape& shape, double lo, double hi) {
        return tg::test::random_array<T>(shape, rng_, lo, hi);
    }

    std::mt19937_64 rng_{15};
};

using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ElementwiseValues, ElementTypes);

/// A unary op, its formula in double, and the range its inputs are drawn from.
template <class T>
struct UnaryFormula {
    std::string name;
    std::function<Tensor<T>(const Tensor<T>&)> op;
    std::function<double(double)> formula;
    double lo, hi;
};

template <class T>
std::vector<UnaryFormula<T>> unary_formulas() {
    return {
        {"sin", [](auto& x) { return tg::sin(x); }, [](double v) { return std::sin(v); }, -4, 4},
        {"cos", [](auto& x) { return tg::cos(x); }, [](double v) { return std::cos(v); }, -4, 4},
        {"tan", [](auto& x) { return tg::tan(x); }, [](double v) { return std::tan(v); }, -1.4,
         1.4},
        {"atan", [](auto& x) { return tg::atan(x); }, [](double v) { return std::atan(v); }, -5, 5},
        {"sinh", [](auto& x) { return tg::sinh(x); }, [](double v) { return std::sinh(v); }, -3, 3},
        {"cosh", [](auto& x) { return tg::cosh(x); }, [](double v) { return std::cosh(v); }, -3, 3},
        {"asinh", [](auto& x) { return tg::asinh(x); }, [](double v) { return std::asinh(v); }, -5,
         5},
        {"expm1", [](auto& x) { return tg::expm1(x); }, [](double v) { return std::expm1(v); }, -3,
         3},
        {"log1p", [](auto& x) { return tg::log1p(x); }, [](double v) { return std::log1p(v); },
         -0.9, 3},
        {"erf", [](auto& x) { return tg::erf(x); }, [](double v) { return std::erf(v); }, -3, 3},
        {"erfc", [](auto& x) { return tg::erfc(x); }, [](double v) { return std::erfc(v); }, -3, 6},
        {"gelu", [](auto& x) { return tg::gelu(x); },
         [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); }, -6, 4},
        {"silu", [](auto& x) { return tg::silu(x); },
         [](double v) { return v / (1 + std::exp(-v)); }, -8, 8},
        {"elu", [](auto& x) { return tg::elu(x); },
         [](double v) { return v > 0 ? v : std::exp(v) - 1; }, -3, 3},
        {"elu_alpha_0.3", [](auto& x) { return tg::elu(x, T(0.3)); },
         [](double v) { return v > 0 ? v : double(T(0.3)) * (std::exp(v) - 1); }, -3, 3},
        {"softsign", [](auto& x) { return tg::softsign(x); },
         [](double v) { return v / (1 + std::abs(v)); }, -4, 4},
        {"rsqrt", [](auto& x) { return tg::rsqrt(x); }, [](double v) { return 1 / std::sqrt(v); },
         0.05, 4},
        {"reciprocal", [](auto& x) { return tg::reciprocal(x); }, [](double v) { return 1 / v; },
         -4, 4},
        {"sign", [](auto& x) { return tg::sign(x); },
         [](double v) { return v > 0   ? 1.0
                               : v < 0 ? -1.0
                                       : 0.0; }, -2, 2},
    };
}

TYPED_TEST(ElementwiseValues, UnaryOpsMatchTheirFormulas) {
    using T = TypeParam;
    for (const UnaryFormula<T>& op : unary_formulas<T>())
        for (std::size_t n : kSizes) {
            SCOPED_TRACE(op.name + " on " + std::to_string(n) + " elements");
            const xt::xarray<T> x = this->random({n}, op.lo, op.hi);
            xt::xarray<T> want = x;
            for (std::size_t i = 0; i < n; ++i) want(i) = static_cast<T>(op.formula(x(i)));
            EXPECT_TRUE(tg::test::all_close(op.op(Tensor<T>(x)), want, this->rtol, this->atol));
        }
}

TYPED_TEST(ElementwiseValues, UnaryOpsKeepTheShape) {
    using T = TypeParam;
    const xt::xarray<T> x = this->random({2, 3, 4}, 0.5, 1);
    for (const UnaryFormula<T>& op : unary_formulas<T>())
        EXPECT_EQ(op.op(Tensor<T>(x)).shape(), (Shape{2, 3, 4})) << op.name;
    const Tensor<T> scalar(T(0.5));
    EXPECT_EQ(tg::sin(scalar).shape(), Shape{});
}

/// expm1 and log1p keep their accuracy where x is tiny (eˣ − 1 and ln(1 + x) would not).
TYPED_TEST(ElementwiseValues, Expm1AndLog1pAreAccurateNearZero) {
    using T = TypeParam;
    for (std::size_t n : kSizes) {
        const xt::xarray<T> x = this->random({n}, -1e-6, 1e-6);
        xt::xarray<T> e = x, l = x;
        for (std::size_t i = 0; i < n; ++i) {
            e(i) = static_cast<T>(std::expm1(double(x(i))));
            l(i) = static_cast<T>(std::log1p(double(x(i))));
        }
        EXPECT_TRUE(tg::test::all_close(tg::expm1(Tensor<T>(x)), e, this->rtol, 0)) << n;
        EXPECT_TRUE(tg::test::all_close(tg::log1p(Tensor<T>(x)), l, this->rtol, 0)) << n;
    }
}

TYPED_TEST(ElementwiseValues, SignOfZeroAndNan) {
    using T = TypeParam;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    for (std::size_t n : kSizes) {
        xt::xarray<T> x = this->random({n}, -2, 2);
        x(0) = T(0);
        x(1) = nan;
        x(2) = T(-3);
        x(3) = T(1e-30);
        const Tensor<T> y = tg::sign(Tensor<T>(x));
        EXPECT_EQ(y.value()(0), T(0));
        EXPECT_TRUE(std::isnan(y.value()(1)));
        EXPECT_EQ(y.value()(2), T(-1));
        EXPECT_EQ(y.value()(3), T(1));
    }
}

/// sign is not differentiable: its gradient is exactly 0 (at 0 too), with and without
/// create_graph, and a chain through it passes 0 on.
TYPED_TEST(ElementwiseValues, SignGradientIsExactlyZero) {
    using T = TypeParam;
    for (std::size_t n : kSizes) {
        xt::xarray<T> v = this->random({n}, -2, 2);
        v(0) = T(0);
        const Tensor<T> x = tg::parameter<T>(v);
        for (bool create_graph : {false, true}) {
            tg::Tape tape;
            const Tensor<T> loss = tg::sum(tg::sign(x) * tg::exp(x));
            tg::BackwardOptions o;
            o.create_graph = create_graph;
            const Tensor<T> g = tape.gradient(loss, {x}, o)[0];
            ASSERT_EQ(g.shape(), x.shape());
            // d/dx (sign(x) eˣ) = sign(x) eˣ: only the exp factor's gradient reaches x.
            for (std::size_t i = 0; i < n; ++i) {
                const double want = (v(i) > 0   ? 1.0
                                     : v(i) < 0 ? -1.0
                                                : 0.0) *
                                    std::exp(double(v(i)));
                EXPECT_NEAR(g.value()(i), want, TestFixture::rtol * std::abs(want)) << i;
            }
        }
        for (bool create_graph : {false, true}) {
            tg::Tape tape;
            const Tensor<T> loss = tg::sum(tg::sign(x));
            tg::BackwardOptions o;
            o.create_graph = create_graph;
            const Tensor<T> g = tape.gradient(loss, {x}, o)[0];
            for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(g.value()(i), T(0)) << i;
        }
    }
}

/// elu's gradient is 1 for a large positive x, where eˣ overflows (float: x = 100), and
/// α eˣ at 0 and below (torch's convention), with and without create_graph.
TYPED_TEST(ElementwiseValues, EluGradientAtZeroAndLargeInputs) {
    using T = TypeParam;
    const T alpha = T(0.5);
    const xt::xarray<T> v = {T(-50), T(-1), T(0), T(1), T(100)};
    const Tensor<T> x = tg::parameter<T>(v);
    for (bool create_graph : {false, true}) {
        tg::Tape tape;
        const Tensor<T> loss = tg::sum(tg::elu(x, alpha));
        tg::BackwardOptions o;
        o.create_graph = create_graph;
        const Tensor<T> g = tape.gradient(loss, {x}, o)[0];
        for (std::size_t i = 0; i < v.size(); ++i) {
            const double want = v(i) > 0 ? 1.0 : double(alpha) * std::exp(double(v(i)));
            EXPECT_NEAR(g.value()(i), want, TestFixture::rtol * std::abs(want))
                << v(i) << " " << create_graph;
        }
    }
}

/// A binary op and its formula in double, with its inputs' ranges.
template <class T>
struct BinaryFormula {
    std::string name;
    std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)> op;
    std::function<double(double, double)> formula;
    double a_lo, a_hi, b_lo, b_hi;
};

TYPED_TEST(ElementwiseValues, PowAndAtan2BroadcastLikeNumpy) {
    using T = TypeParam;
    const std::vector<BinaryFormula<T>> ops = {
        {"pow", [](auto& a, auto& b) { return tg::pow(a, b); },
         [](double a, double b) { return std::pow(a, b); }, 0.1, 3, -3, 3},
        {"atan2", [](auto& y, auto& x) { return tg::atan2(y, x); },
         [](double y, double x) { return std::atan2(y, x); }, -2, 2, -2, 2},
    };
    const std::vector<Shape> shapes = {{}, {1}, {4}, {3, 1}, {1, 4}, {3, 4}};
    std::vector<std::pair<Shape, Shape>> pairs;
    for (const Shape& sa : shapes)
        for (const Shape& sb : shapes) pairs.push_back({sa, sb});
    // Larger operands: equal shapes, a bias row, a scalar, and a general pair.
    pairs.push_back({{1000}, {1000}});
    pairs.push_back({{8, 125}, {125}});
    pairs.push_back({{}, {1000}});
    pairs.push_back({{40, 1}, {1, 25}});
    for (const auto& op : ops)
        for (const auto& [sa, sb] : pairs) {
            SCOPED_TRACE(op.name + " of " + tg::shape_str(sa) + " and " + tg::shape_str(sb));
            const xt::xarray<T> a = this->random(sa, op.a_lo, op.a_hi);
            const xt::xarray<T> b = this->random(sb, op.b_lo, op.b_hi);
            const Shape so = tg::detail::broadcast_shapes("test", sa, sb);
            const xt::xarray<T> ab = xt::broadcast(a, so), bb = xt::broadcast(b, so);
            xt::xarray<T> want = ab;
            for (std::size_t i = 0; i < want.size(); ++i)
                want.data()[i] = static_cast<T>(op.formula(ab.data()[i], bb.data()[i]));
            EXPECT_TRUE(tg::test::all_close(op.op(Tensor<T>(a), Tensor<T>(b)), want, 2 * this->rtol,
                                            this->atol));
        }
}

/// pow with a tensor exponent agrees with pow with the same scalar exponent.
TYPED_TEST(ElementwiseValues, PowTensorAgreesWithScalarExponent) {
    using T = TypeParam;
    const xt::xarray<T> x = this->random({200}, 0.2, 3);
    for (T p : {T(-1.5), T(0), T(0.5), T(2), T(3)}) {
        const Tensor<T> scalar = tg::pow(Tensor<T>(x), p);
        EXPECT_TRUE(tg::test::all_close(tg::pow(Tensor<T>(x), Tensor<T>(p)), scalar.value(),
                                        this->rtol, this->atol))
            << p;
    }
}

TEST(ElementwiseErrors, PowAndAtan2NameTheOpAndRecordNothing) {
    using Binary = std::function<Tensor<double>(const Tensor<double>&, const Tensor<double>&)>;
    const std::vector<std::pair<std::string, Binary>> ops = {
        {"pow", [](auto& a, auto& b) { return tg::pow(a, b); }},
        {"atan2", [](auto& a, auto& b) { return tg::atan2(a, b); }}};
    for (const auto& [name, op] : ops) {
        const Tensor<double> a = tg::parameter<double>(xt::ones<double>({3, 4}));
        const Tensor<double> b = tg::parameter<double>(xt::ones<double>({2, 4}));
        tg::Tape tape;
        try {
            (void)op(a, b);
            ADD_FAILURE() << name << ": no exception";
        } catch (const tg::ShapeError& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.rfind(name + ":", 0), 0u) << what;
            EXPECT_NE(what.find("(3, 4)"), std::string::npos) << what;
            EXPECT_NE(what.find("(2, 4)"), std::string::npos) << what;
        }
        EXPECT_EQ(tape.size(), 0u) << tape.dump();
    }
}

}  // namespace
