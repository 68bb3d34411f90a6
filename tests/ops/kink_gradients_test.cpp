// Gradients where finite differences cannot decide: the conventions of docs/design.md at kinks
// and ties (relu and abs have derivative 0 at 0; a tie in maximum/minimum splits the
// gradient in halves, as PyTorch; max along an axis sends the gradient to the first maximal
// element), and
// removable singularities of a formula (pow with exponent 0 or 1 at x = 0).

#include "op_test_util.hpp"

#include <functional>
#include <vector>

namespace {

using tg::Tensor;

/// d sum(f(inputs)) / d inputs, through the tape.
std::vector<Tensor<double>> gradients(
    const std::function<Tensor<double>(const std::vector<Tensor<double>>&)>& f,
    const std::vector<xt::xarray<double>>& values) {
    tg::Tape tape;
    std::vector<Tensor<double>> params;
    for (const auto& v : values) params.push_back(tg::parameter<double>(v));
    return tape.gradient(tg::sum(f(params)), params);
}

TEST(KinkGradients, ReluAndAbsHaveZeroDerivativeAtZero) {
    const xt::xarray<double> x = {-1.0, 0.0, 2.0};
    auto g = gradients([](const auto& in) { return tg::relu(in[0]); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{0, 0, 1}, 0, 0));
    g = gradients([](const auto& in) { return tg::abs(in[0]); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{-1, 0, 1}, 0, 0));
}

TEST(KinkGradients, LeakyReluHasSlopeAtZeroAndBelow) {
    const xt::xarray<double> x = {-1.0, 0.0, 2.0};
    const auto g = gradients([](const auto& in) { return tg::leaky_relu(in[0], 0.2); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{0.2, 0.2, 1}, 1e-15, 0));
}

TEST(KinkGradients, ClampPassesGradientOnTheBounds) {
    const xt::xarray<double> x = {-2.0, -0.5, 0.0, 0.5, 2.0};
    const auto g = gradients([](const auto& in) { return tg::clamp(in[0], -0.5, 0.5); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{0, 1, 1, 1, 0}, 0, 0));
}

TEST(KinkGradients, MaximumAndMinimumTiesSplitTheGradient) {
    const xt::xarray<double> a = {1.0, 2.0, 3.0}, b = {1.0, 0.0, 5.0};
    auto g = gradients([](const auto& in) { return tg::maximum(in[0], in[1]); }, {a, b});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{0.5, 1, 0}, 0, 0));
    EXPECT_TRUE(tg::test::all_close(g[1], xt::xarray<double>{0.5, 0, 1}, 0, 0));
    g = gradients([](const auto& in) { return tg::minimum(in[0], in[1]); }, {a, b});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{0.5, 0, 1}, 0, 0));
    EXPECT_TRUE(tg::test::all_close(g[1], xt::xarray<double>{0.5, 1, 0}, 0, 0));
}

TEST(KinkGradients, MaximumTiesUnderBroadcastingSplitTheGradient) {
    // a (3, 1) against b (1, 2): a[1] ties with column 1, a[0] with column 0.
    xt::xarray<double> a = {1.0, 2.0, 0.0};
    a.reshape({3, 1});
    const xt::xarray<double> b = {{1.0, 2.0}};
    const auto g = gradients([](const auto& in) { return tg::maximum(in[0], in[1]); }, {a, b});
    // row 0 (1 vs 1, 1 vs 2): a ½, b ½ and b 1; row 1 (2 vs 1, 2 vs 2): a 1 and a ½, b ½;
    // row 2: b, b.
    xt::xarray<double> expected_a = {0.5, 1.5, 0.0};
    expected_a.reshape({3, 1});
    EXPECT_TRUE(tg::test::all_close(g[0], expected_a, 0, 0));
    EXPECT_TRUE(tg::test::all_close(g[1], xt::xarray<double>{{1.5, 2.5}}, 0, 0));
}

TEST(KinkGradients, MaxAlongAxisSendsGradientToFirstMaximalElement) {
    const xt::xarray<double> x = {{3.0, 1.0, 3.0, 3.0}, {0.0, 2.0, 1.0, 2.0}};
    auto g = gradients([](const auto& in) { return tg::max(in[0], 1); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{{1, 0, 0, 0}, {0, 1, 0, 0}}, 0, 0));
    g = gradients([](const auto& in) { return tg::max(in[0], 0, true); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{{1, 0, 1, 1}, {0, 1, 0, 0}}, 0, 0));
}

TEST(KinkGradients, PowWithExponentZeroOrOneIsSmoothAtZero) {
    // x⁰ = 1 has derivative 0 everywhere and x¹ derivative 1, also at x = 0, where the
    // formula p·x^(p−1) reads 0·0⁻¹ (as in PyTorch, whose pow gives 0 there).
    const xt::xarray<double> x = {-1.0, 0.0, 2.0};
    auto g = gradients([](const auto& in) { return tg::pow(in[0], 0.0); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{0, 0, 0}, 0, 0));
    g = gradients([](const auto& in) { return tg::pow(in[0], 1.0); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{1, 1, 1}, 0, 0));
    g = gradients([](const auto& in) { return tg::pow(in[0], 2.0); }, {x});
    EXPECT_TRUE(tg::test::all_close(g[0], xt::xarray<double>{-2, 0, 4}, 0, 0));
}

}  // namespace
