// Every op whose backward has two forms (a fused loop when the sweep does not record, a
// composite of tapegrad ops under create_graph) gives the same gradients both ways, and
// both agree with the derivative written out here, in float and in double, on sizes on
// both sides of every size threshold: kVectorizedMinSize (64, the forward switches from
// a scalar loop to xtensor's vectorized expression) and the product sizes at which a
// gemm goes from plain loops (<= 16 multiply-adds) to SIMD rows (n = 1 or k = 1, <= 4096)
// to BLAS. Forward values are checked against the formula too, so the vectorized
// forwards (exp, log, sigmoid, tanh, softplus, pow, sqrt, the trigonometric functions,
// gelu, ...) meet a formula.
//
// The op under test sits inside L = Σ (op(x) ⊙ w) with w random: its output's gradient
// is then w, a tensor nothing else holds, so the fused backward takes the path that
// writes its result over that gradient (the in-place rule, ops/src/elementwise.hpp).

#include "op_test_util.hpp"

#include <tapegrad/broadcast.hpp>
#include <tapegrad/detail/vectorize.hpp>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xreducer.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace {

using tg::Shape;
using tg::Tensor;

/// Sizes below, at and above kVectorizedMinSize.
const std::vector<std::size_t> kSizes = {1, 12, tg::detail::kVectorizedMinSize - 1,
                                         tg::detail::kVectorizedMinSize,
                                         tg::detail::kVectorizedMinSize + 1, 300};

template <class T>
class FusedVsComposite : public ::testing::Test {
protected:
    static constexpr bool is_float = std::is_same_v<T, float>;
    static constexpr double rtol = is_float ? 2e-5 : 1e-12;
    static constexpr double atol = is_float ? 2e-6 : 1e-13;

    xt::xarray<T> random(const Shape& shape, double lo, double hi) {
        return tg::test::random_array<T>(shape, rng_, lo, hi);
    }

    /// d L / d xs for L = Σ (f(xs) ⊙ w), without and with create_graph.
    std::pair<std::vector<Tensor<T>>, std::vector<Tensor<T>>> both_ways(
        const std::function<Tensor<T>(const std::vector<Tensor<T>>&)>& f,
        const std::vector<Tensor<T>>& xs, const Tensor<T>& w) {
        std::vector<Tensor<T>> fused, composite;
        {
            tg::Tape tape;
            Tensor<T> loss = tg::sum(f(xs) * w);
            fused = tape.gradient(loss, xs);
        }
        {
            tg::Tape tape;
            Tensor<T> loss = tg::sum(f(xs) * w);
            tg::BackwardOptions o;
            o.create_graph = true;
            composite = tape.gradient(loss, xs, o);
        }
        return {fused, composite};
    }

    ::testing::AssertionResult close(const Tensor<T>& actual, const xt::xarray<T>& expected,
                                     double scale = 1) {
        return tg::test::all_close(actual, expected, rtol * scale, atol * scale);
    }

    std::mt19937_64 rng_{2026};
};

using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(FusedVsComposite, ElementTypes);

/// A unary op, its value and its derivative in double (written here, independently of
/// ops/), and the input range it is tested on (a random input lands on a kink, 0 or a
/// clamp bound, with probability 0).
template <class T>
struct UnaryCase {
    std::string name;
    std::function<Tensor<T>(const Tensor<T>&)> op;
    std::function<double(double)> value, derivative;
    double lo, hi;
};

template <class T>
std::vector<UnaryCase<T>> unary_cases() {
    const auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    const double pi = std::acos(-1.0);
    return {
        {"sigmoid", [](auto& x) { return tg::sigmoid(x); }, sig,
         [sig](double v) { return sig(v) * (1 - sig(v)); }, -6, 6},
        {"tanh", [](auto& x) { return tg::tanh(x); }, [](double v) { return std::tanh(v); },
         [](double v) { return 1 - std::tanh(v) * std::tanh(v); }, -3, 3},
        {"relu", [](auto& x) { return tg::relu(x); }, [](double v) { return v > 0 ? v : 0; },
         [](double v) { return v > 0 ? 1.0 : 0.0; }, -2, 2},
        {"leaky_relu", [](auto& x) { return tg::leaky_relu(x, T(0.1)); },
         [](double v) { return v > 0 ? v : T(0.1) * v; },
         [](double v) { return v > 0 ? 1.0 : double(T(0.1)); }, -2, 2},
        {"softplus", [](auto& x) { return tg::softplus(x); },
         [](double v) { return std::log1p(std::exp(v)); }, sig, -8, 8},
        {"pow_2.5", [](auto& x) { return tg::pow(x, T(2.5)); },
         [](double v) { return std::pow(v, 2.5); }, [](double v) { return 2.5 * std::pow(v, 1.5); },
         0.2, 2},
        {"pow_3", [](auto& x) { return tg::pow(x, T(3)); }, [](double v) { return v * v * v; },
         [](double v) { return 3 * v * v; }, -2, 2},
        {"pow_0", [](auto& x) { return tg::pow(x, T(0)); }, [](double) { return 1.0; },
         [](double) { return 0.0; }, -2, 2},
        {"square", [](auto& x) { return tg::square(x); }, [](double v) { return v * v; },
         [](double v) { return 2 * v; }, -2, 2},
        {"sqrt", [](auto& x) { return tg::sqrt(x); }, [](double v) { return std::sqrt(v); },
         [](double v) { return 0.5 / std::sqrt(v); }, 0.2, 3},
        {"exp", [](auto& x) { return tg::exp(x); }, [](double v) { return std::exp(v); },
         [](double v) { return std::exp(v); }, -3, 3},
        {"log", [](auto& x) { return tg::log(x); }, [](double v) { return std::log(v); },
         [](double v) { return 1 / v; }, 0.2, 3},
        {"abs", [](auto& x) { return tg::abs(x); }, [](double v) { return std::abs(v); },
         [](double v) { return v > 0 ? 1.0 : -1.0; }, -2, 2},
        {"clamp", [](auto& x) { return tg::clamp(x, T(-0.5), T(0.75)); },
         [](double v) { return std::min(std::max(v, double(T(-0.5))), double(T(0.75))); },
         [](double v) { return v >= T(-0.5) && v <= T(0.75) ? 1.0 : 0.0; }, -2, 2},
        {"rsqrt", [](auto& x) { return tg::rsqrt(x); }, [](double v) { return 1 / std::sqrt(v); },
         [](double v) { return -0.5 / (v * std::sqrt(v)); }, 0.2, 3},
        {"reciprocal", [](auto& x) { return tg::reciprocal(x); }, [](double v) { return 1 / v; },
         [](double v) { return -1 / (v * v); }, 0.2, 3},
        {"expm1", [](auto& x) { return tg::expm1(x); }, [](double v) { return std::expm1(v); },
         [](double v) { return std::exp(v); }, -2, 2},
        {"log1p", [](auto& x) { return tg::log1p(x); }, [](double v) { return std::log1p(v); },
         [](double v) { return 1 / (1 + v); }, -0.5, 2},
        {"erf", [](auto& x) { return tg::erf(x); }, [](double v) { return std::erf(v); },
         [pi](double v) { return 2 / std::sqrt(pi) * std::exp(-v * v); }, -2, 2},
        {"erfc", [](auto& x) { return tg::erfc(x); }, [](double v) { return std::erfc(v); },
         [pi](double v) { return -2 / std::sqrt(pi) * std::exp(-v * v); }, -2, 3},
        {"sign", [](auto& x) { return tg::sign(x); },
         [](double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }, [](double) { return 0.0; },
         -2, 2},
        {"sin", [](auto& x) { return tg::sin(x); }, [](double v) { return std::sin(v); },
         [](double v) { return std::cos(v); }, -3, 3},
        {"cos", [](auto& x) { return tg::cos(x); }, [](double v) { return std::cos(v); },
         [](double v) { return -std::sin(v); }, -3, 3},
        {"tan", [](auto& x) { return tg::tan(x); }, [](double v) { return std::tan(v); },
         [](double v) { return 1 / (std::cos(v) * std::cos(v)); }, -1.3, 1.3},
        {"atan", [](auto& x) { return tg::atan(x); }, [](double v) { return std::atan(v); },
         [](double v) { return 1 / (1 + v * v); }, -3, 3},
        {"sinh", [](auto& x) { return tg::sinh(x); }, [](double v) { return std::sinh(v); },
         [](double v) { return std::cosh(v); }, -2, 2},
        {"cosh", [](auto& x) { return tg::cosh(x); }, [](double v) { return std::cosh(v); },
         [](double v) { return std::sinh(v); }, -2, 2},
        {"asinh", [](auto& x) { return tg::asinh(x); }, [](double v) { return std::asinh(v); },
         [](double v) { return 1 / std::sqrt(1 + v * v); }, -3, 3},
        {"gelu", [](auto& x) { return tg::gelu(x); },
         [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); },
         [pi](double v) {
             return 0.5 * std::erfc(-v / std::sqrt(2.0)) +
                    v * std::exp(-v * v / 2) / std::sqrt(2 * pi);
         },
         -3, 3},
        {"silu", [](auto& x) { return tg::silu(x); }, [sig](double v) { return v * sig(v); },
         [sig](double v) { return sig(v) + v * sig(v) * (1 - sig(v)); }, -6, 6},
        {"elu", [](auto& x) { return tg::elu(x); },
         [](double v) { return v > 0 ? v : std::expm1(v); },
         [](double v) { return v > 0 ? 1.0 : std::exp(v); }, -2, 2},
        {"elu_alpha_0.5", [](auto& x) { return tg::elu(x, T(0.5)); },
         [](double v) { return v > 0 ? v : 0.5 * std::expm1(v); },
         [](double v) { return v > 0 ? 1.0 : 0.5 * std::exp(v); }, -2, 2},
        {"softsign", [](auto& x) { return tg::softsign(x); },
         [](double v) { return v / (1 + std::abs(v)); },
         [](double v) { return 1 / ((1 + std::abs(v)) * (1 + std::abs(v))); }, -2, 2},
    };
}

TYPED_TEST(FusedVsComposite, UnaryOps) {
    using T = TypeParam;
    for (const UnaryCase<T>& op : unary_cases<T>())
        for (std::size_t n : kSizes) {
            SCOPED_TRACE(op.name + " on " + std::to_string(n) + " elements");
            const xt::xarray<T> x = this->random({n}, op.lo, op.hi);
            const xt::xarray<T> w = this->random({n}, -1, 1);
            xt::xarray<T> value = x, dx = x;
            for (std::size_t i = 0; i < n; ++i) {
                value(i) = static_cast<T>(op.value(x(i)));
                dx(i) = static_cast<T>(w(i) * op.derivative(x(i)));
            }
            EXPECT_TRUE(this->close(op.op(Tensor<T>(x)), value, 2));
            auto [fused, composite] =
                this->both_ways([&](const auto& xs) { return op.op(xs[0]); },
                                {tg::parameter<T>(x)}, Tensor<T>(w));
            EXPECT_TRUE(this->close(fused[0], dx, 4)) << "fused";
            EXPECT_TRUE(this->close(composite[0], dx, 4)) << "composite";
        }
}

/// Shape pairs for the binary ops: equal shapes below and above 64 elements (the fused
/// backward) and broadcasting pairs (the composite backward with sum_to, in both sweeps).
const std::vector<std::pair<Shape, Shape>> kBinaryShapes = {
    {{3}, {3}},       {{5, 13}, {5, 13}}, {{1}, {1}}, {{4, 3}, {3}},
    {{70}, {1}},      {{2, 40}, {2, 1}},  {{3, 1}, {1, 30}}};

TYPED_TEST(FusedVsComposite, BinaryOps) {
    using T = TypeParam;
    using Binary = std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)>;
    struct Case {
        std::string name;
        Binary op;
        std::function<double(double, double)> value, da, db;
        double a_lo, a_hi, b_lo, b_hi;  ///< the inputs' ranges
    };
    const std::vector<Case> cases = {
        {"mul", [](auto& a, auto& b) { return tg::mul(a, b); },
         [](double a, double b) { return a * b; }, [](double, double b) { return b; },
         [](double a, double) { return a; }, -2, 2, -2, 2},
        {"maximum", [](auto& a, auto& b) { return tg::maximum(a, b); },
         [](double a, double b) { return a >= b ? a : b; },
         [](double a, double b) { return a > b ? 1.0 : a == b ? 0.5 : 0.0; },
         [](double a, double b) { return a < b ? 1.0 : a == b ? 0.5 : 0.0; }, -2, 2, -2, 2},
        {"minimum", [](auto& a, auto& b) { return tg::minimum(a, b); },
         [](double a, double b) { return a <= b ? a : b; },
         [](double a, double b) { return a < b ? 1.0 : a == b ? 0.5 : 0.0; },
         [](double a, double b) { return a > b ? 1.0 : a == b ? 0.5 : 0.0; }, -2, 2, -2, 2},
        // pow on its domain a > 0; atan2 with y > 0, away from the origin and the branch cut.
        {"pow", [](auto& a, auto& b) { return tg::pow(a, b); },
         [](double a, double b) { return std::pow(a, b); },
         [](double a, double b) { return b * std::pow(a, b - 1); },
         [](double a, double b) { return std::pow(a, b) * std::log(a); }, 0.5, 2, -2, 2},
        {"atan2", [](auto& y, auto& x) { return tg::atan2(y, x); },
         [](double y, double x) { return std::atan2(y, x); },
         [](double y, double x) { return x / (x * x + y * y); },
         [](double y, double x) { return -y / (x * x + y * y); }, 0.5, 2, -2, 2},
    };
    for (const Case& op : cases)
        for (const auto& [sa, sb] : kBinaryShapes) {
            SCOPED_TRACE(op.name + " of " + tg::shape_str(sa) + " and " + tg::shape_str(sb));
            const xt::xarray<T> a = this->random(sa, op.a_lo, op.a_hi);
            const xt::xarray<T> b = this->random(sb, op.b_lo, op.b_hi);
            const Shape so = tg::detail::broadcast_shapes("test", sa, sb);
            const xt::xarray<T> w = this->random(so, -1, 1);
            // The expected values and gradients by loops over the broadcast elements.
            const xt::xarray<double> ab = xt::broadcast(xt::xarray<double>(a), so);
            const xt::xarray<double> bb = xt::broadcast(xt::xarray<double>(b), so);
            xt::xarray<double> value = ab, ga = ab, gb = ab;
            for (std::size_t i = 0; i < value.size(); ++i) {
                value.data()[i] = op.value(ab.data()[i], bb.data()[i]);
                ga.data()[i] = w.data()[i] * op.da(ab.data()[i], bb.data()[i]);
                gb.data()[i] = w.data()[i] * op.db(ab.data()[i], bb.data()[i]);
            }
            const Tensor<double> da = tg::sum_to(Tensor<double>(ga), sa);
            const Tensor<double> db = tg::sum_to(Tensor<double>(gb), sb);
            EXPECT_TRUE(this->close(op.op(Tensor<T>(a), Tensor<T>(b)), xt::xarray<T>(value)));
            auto [fused, composite] =
                this->both_ways([&](const auto& xs) { return op.op(xs[0], xs[1]); },
                                {tg::parameter<T>(a), tg::parameter<T>(b)}, Tensor<T>(w));
            for (std::size_t i = 0; i < 2; ++i) {
                const xt::xarray<T> want = (i == 0 ? da : db).value();
                EXPECT_TRUE(this->close(fused[i], want, 4)) << "fused, input " << i;
                EXPECT_TRUE(this->close(composite[i], want, 4)) << "composite, input " << i;
            }
        }
}

/// Both inputs of mul are the same tensor: its two gradients go to one place, and the
/// one written over the output's gradient must not spoil the other.
TYPED_TEST(FusedVsComposite, MulOfATensorWithItself) {
    using T = TypeParam;
    for (std::size_t n : kSizes) {
        const xt::xarray<T> x = this->random({n}, -2, 2), w = this->random({n}, -1, 1);
        auto [fused, composite] = this->both_ways([](const auto& xs) { return xs[0] * xs[0]; },
                                                  {tg::parameter<T>(x)}, Tensor<T>(w));
        const xt::xarray<T> want = T(2) * x * w;
        EXPECT_TRUE(this->close(fused[0], want, 4)) << n;
        EXPECT_TRUE(this->close(composite[0], want, 4)) << n;
    }
}

/// Products on both sides of the gemm thresholds: loop_gemm (<= 16 multiply-adds),
/// row_gemm (a single row or an outer product, <= 4096), BLAS; every transpose flag.
TYPED_TEST(FusedVsComposite, GemmMatmulAndLinear) {
    using T = TypeParam;
    const std::vector<std::array<std::size_t, 3>> nmk = {
        {1, 1, 1}, {2, 2, 4}, {1, 32, 32}, {1, 64, 65}, {5, 1, 1}, {40, 30, 1}, {8, 32, 32},
        {3, 5, 7}};
    for (const auto& [n, m, k] : nmk)
        for (int flags = 0; flags < 4; ++flags) {
            const bool ta = flags & 1, tb = flags & 2;
            SCOPED_TRACE("n, m, k = " + std::to_string(n) + ", " + std::to_string(m) + ", " +
                         std::to_string(k) + (ta ? ", Aᵀ" : "") + (tb ? ", Bᵀ" : ""));
            const xt::xarray<T> a = this->random(ta ? Shape{k, n} : Shape{n, k}, -1, 1);
            const xt::xarray<T> b = this->random(tb ? Shape{m, k} : Shape{k, m}, -1, 1);
            const xt::xarray<T> w = this->random({n, m}, -1, 1);
            const xt::xarray<T> at = ta ? xt::xarray<T>(xt::transpose(a)) : a;
            const xt::xarray<T> bt = tb ? xt::xarray<T>(xt::transpose(b)) : b;
            // dÂ = W B̂ᵀ, dB̂ = Âᵀ W, by loops
            xt::xarray<T> da_hat = xt::zeros<T>({n, k}), db_hat = xt::zeros<T>({k, m});
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < m; ++j)
                    for (std::size_t p = 0; p < k; ++p) {
                        da_hat(i, p) += w(i, j) * bt(p, j);
                        db_hat(p, j) += at(i, p) * w(i, j);
                    }
            const xt::xarray<T> da = ta ? xt::xarray<T>(xt::transpose(da_hat)) : da_hat;
            const xt::xarray<T> db = tb ? xt::xarray<T>(xt::transpose(db_hat)) : db_hat;
            auto [fused, composite] = this->both_ways(
                [&](const auto& xs) { return tg::gemm(xs[0], xs[1], ta, tb); },
                {tg::parameter<T>(a), tg::parameter<T>(b)}, Tensor<T>(w));
            const double scale = double(k + m);
            EXPECT_TRUE(this->close(fused[0], da, scale));
            EXPECT_TRUE(this->close(fused[1], db, scale));
            EXPECT_TRUE(this->close(composite[0], da, scale));
            EXPECT_TRUE(this->close(composite[1], db, scale));
            if (ta || tb) continue;
            // matmul and linear (x Wᵀ + b with W = B̂ᵀ) on the same numbers.
            auto [mf, mc] = this->both_ways(
                [](const auto& xs) { return tg::matmul(xs[0], xs[1]); },
                {tg::parameter<T>(a), tg::parameter<T>(b)}, Tensor<T>(w));
            EXPECT_TRUE(this->close(mf[0], da, scale) && this->close(mf[1], db, scale));
            EXPECT_TRUE(this->close(mc[0], da, scale) && this->close(mc[1], db, scale));
            const xt::xarray<T> weight = xt::transpose(b);
            const xt::xarray<T> bias = this->random({m}, -1, 1);
            auto [lf, lc] = this->both_ways(
                [](const auto& xs) { return tg::linear(xs[0], xs[1], xs[2]); },
                {tg::parameter<T>(a), tg::parameter<T>(weight), tg::parameter<T>(bias)}, Tensor<T>(w));
            const xt::xarray<T> dweight = xt::transpose(db);
            const xt::xarray<T> dbias = xt::sum(w, {0}, xt::evaluation_strategy::immediate);
            for (const auto* g : {&lf, &lc}) {
                EXPECT_TRUE(this->close((*g)[0], da, scale));
                EXPECT_TRUE(this->close((*g)[1], dweight, scale));
                EXPECT_TRUE(this->close((*g)[2], dbias, scale));
            }
        }
}

/// The squared-error loss op: dL/dpred = 2 · scale · (pred − target) · g, dL/dtarget the
/// negative, fused and composite, on sizes around 64.
TYPED_TEST(FusedVsComposite, ScaledSquaredError) {
    using T = TypeParam;
    for (std::size_t n : kSizes) {
        const xt::xarray<T> p = this->random({n, 1}, -1, 1), t = this->random({n, 1}, -1, 1);
        const T scale = T(1) / T(2 * n);
        const Tensor<T> w(xt::xarray<T>(T(0.75)));
        auto [fused, composite] = this->both_ways(
            [scale](const auto& xs) { return tg::scaled_squared_error(xs[0], xs[1], scale); },
            {tg::parameter<T>(p), tg::parameter<T>(t)}, w);
        const xt::xarray<T> dp = T(2) * scale * T(0.75) * (p - t);
        const xt::xarray<T> dt = -dp;
        EXPECT_TRUE(this->close(fused[0], dp) && this->close(fused[1], dt)) << n;
        EXPECT_TRUE(this->close(composite[0], dp) && this->close(composite[1], dt)) << n;
    }
}

}  // namespace
