// Forward values of every elementwise op in the op table (op_table.cpp) against its
// reference formula in double, in float and double, on sizes below and above
// kVectorizedMinSize (the plain loop and the vectorized expression) and, for binary ops,
// over broadcasting shape pairs; expm1 and log1p near 0; sign at 0 and nan and its
// gradient, which is exactly 0; elu's gradient at 0 and for large inputs; and the
// broadcasting errors of pow and atan2, which name the op and record nothing.

#include "op_table.hpp"

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

using tg::test::OpInfo;

/// The op's inputs of `shape` from domain `d`, as T.
template <class T>
xt::xarray<T> drawn(const Shape& shape, const tg::test::Domain& d, std::mt19937_64& rng) {
    return xt::cast<T>(tg::test::draw(shape, d, rng));
}

TYPED_TEST(ElementwiseValues, UnaryOpsMatchTheirReference) {
    using T = TypeParam;
    for (const OpInfo& op : tg::test::op_table()) {
        if (op.kind != OpInfo::Kind::unary) continue;
        for (const tg::test::ElementwiseDomain& d : op.domains)
            for (const Shape& shape : tg::test::unary_check_shapes()) {
                SCOPED_TRACE(op.test_name() + " " + d.label + " on " + tg::shape_str(shape));
                const xt::xarray<T> x = drawn<T>(shape, d.a, this->rng_);
                xt::xarray<T> want = x;
                for (std::size_t i = 0; i < x.size(); ++i)
                    want.data()[i] = static_cast<T>(op.value1(x.data()[i]));
                EXPECT_TRUE(
                    tg::test::all_close(op.unary<T>()(Tensor<T>(x)), want, this->rtol, this->atol));
            }
    }
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

TYPED_TEST(ElementwiseValues, BinaryOpsBroadcastLikeNumpyAndMatchTheirReference) {
    using T = TypeParam;
    for (const OpInfo& op : tg::test::op_table()) {
        if (op.kind != OpInfo::Kind::binary) continue;
        for (const tg::test::ElementwiseDomain& d : op.domains)
            for (const auto& [sa, sb] : tg::test::binary_check_shapes()) {
                SCOPED_TRACE(op.test_name() + " " + d.label + " of " + tg::shape_str(sa) + " and " +
                             tg::shape_str(sb));
                const xt::xarray<T> a = drawn<T>(sa, d.a, this->rng_);
                const xt::xarray<T> b = drawn<T>(sb, d.b, this->rng_);
                const Shape so = tg::detail::broadcast_shapes("test", sa, sb);
                const xt::xarray<T> ab = xt::broadcast(a, so), bb = xt::broadcast(b, so);
                xt::xarray<T> want = ab;
                for (std::size_t i = 0; i < want.size(); ++i)
                    want.data()[i] = static_cast<T>(op.value2(ab.data()[i], bb.data()[i]));
                EXPECT_TRUE(tg::test::all_close(op.binary<T>()(Tensor<T>(a), Tensor<T>(b)), want,
                                                this->rtol, this->atol));
            }
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
