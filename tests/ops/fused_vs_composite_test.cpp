// Every op whose backward has two forms (a fused loop when the sweep does not record, a
// composite of tapegrad ops under create_graph) gives the same gradients both ways, and
// both agree with the derivative written out independently (for the elementwise ops, the
// op table's reference, op_table.cpp), in float and in double, on sizes on both sides of
// every size threshold: kVectorizedMinSize (64, the forward switches from
// a scalar loop to xtensor's vectorized expression) and the product sizes at which a
// gemm goes from plain loops (<= 16 multiply-adds) to SIMD rows (n = 1 or k = 1, <= 4096)
// to BLAS. (The elementwise ops' forward values meet their reference in
// elementwise_values_test.cpp, on the same shapes.)
//
// The op under test sits inside L = Σ (op(x) ⊙ w) with w random: its output's gradient
// is then w, a tensor nothing else holds, so the fused backward takes the path that
// writes its result over that gradient (the in-place rule, ops/src/elementwise.hpp).

#include "op_table.hpp"

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
const std::vector<std::size_t> kSizes = {1,
                                         12,
                                         tg::detail::kVectorizedMinSize - 1,
                                         tg::detail::kVectorizedMinSize,
                                         tg::detail::kVectorizedMinSize + 1,
                                         300};

using tg::test::OpInfo;

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

TYPED_TEST(FusedVsComposite, UnaryOps) {
    using T = TypeParam;
    for (const OpInfo& op : tg::test::op_table()) {
        if (op.kind != OpInfo::Kind::unary) continue;
        for (const tg::test::ElementwiseDomain& d : op.domains)
            for (const Shape& shape : tg::test::unary_check_shapes()) {
                SCOPED_TRACE(op.test_name() + " " + d.label + " on " + tg::shape_str(shape));
                const xt::xarray<T> x = xt::cast<T>(tg::test::draw(shape, d.a, this->rng_));
                const xt::xarray<T> w = this->random(shape, -1, 1);
                xt::xarray<T> dx = x;
                for (std::size_t i = 0; i < x.size(); ++i)
                    dx.data()[i] = static_cast<T>(w.data()[i] * op.derivative(x.data()[i]));
                auto [fused, composite] =
                    this->both_ways([&](const auto& xs) { return op.unary<T>()(xs[0]); },
                                    {tg::parameter<T>(x)}, Tensor<T>(w));
                EXPECT_TRUE(this->close(fused[0], dx, 4)) << "fused";
                EXPECT_TRUE(this->close(composite[0], dx, 4)) << "composite";
            }
    }
}

/// The gradients of a binary op: loops over the broadcast elements, then summed back to
/// each input's shape (broadcasting pairs take the composite backward with sum_to in both
/// sweeps; equal shapes the fused one).
TYPED_TEST(FusedVsComposite, BinaryOps) {
    using T = TypeParam;
    for (const OpInfo& op : tg::test::op_table()) {
        if (op.kind != OpInfo::Kind::binary) continue;
        for (const tg::test::ElementwiseDomain& d : op.domains)
            for (const auto& [sa, sb] : tg::test::binary_check_shapes()) {
                SCOPED_TRACE(op.test_name() + " " + d.label + " of " + tg::shape_str(sa) + " and " +
                             tg::shape_str(sb));
                const xt::xarray<T> a = xt::cast<T>(tg::test::draw(sa, d.a, this->rng_));
                const xt::xarray<T> b = xt::cast<T>(tg::test::draw(sb, d.b, this->rng_));
                const Shape so = tg::detail::broadcast_shapes("test", sa, sb);
                const xt::xarray<T> w = this->random(so, -1, 1);
                const xt::xarray<double> ab = xt::broadcast(xt::xarray<double>(a), so);
                const xt::xarray<double> bb = xt::broadcast(xt::xarray<double>(b), so);
                xt::xarray<double> ga = ab, gb = ab;
                for (std::size_t i = 0; i < ga.size(); ++i) {
                    ga.data()[i] = w.data()[i] * op.da(ab.data()[i], bb.data()[i]);
                    gb.data()[i] = w.data()[i] * op.db(ab.data()[i], bb.data()[i]);
                }
                const Tensor<double> da = tg::sum_to(Tensor<double>(ga), sa);
                const Tensor<double> db = tg::sum_to(Tensor<double>(gb), sb);
                auto [fused, composite] =
                    this->both_ways([&](const auto& xs) { return op.binary<T>()(xs[0], xs[1]); },
                                    {tg::parameter<T>(a), tg::parameter<T>(b)}, Tensor<T>(w));
                for (std::size_t i = 0; i < 2; ++i) {
                    const xt::xarray<T> want = (i == 0 ? da : db).value();
                    EXPECT_TRUE(this->close(fused[i], want, 4)) << "fused, input " << i;
                    EXPECT_TRUE(this->close(composite[i], want, 4)) << "composite, input " << i;
                }
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
