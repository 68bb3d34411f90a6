// Every op's tape gradient against central finite differences (tg::gradcheck), and its
// second derivatives (tg::gradgradcheck), in double, over random values. Adding an op is
// one row in gradcheck_cases().

#include "op_test_util.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <ostream>
#include <utility>
#include <vector>

namespace {

using tg::Shape;
using tg::Tensor;
using Inputs = std::vector<Tensor<double>>;

/// Where an input's values are drawn from. Uniform in [lo, hi], at least kMargin away
/// from every kink; or, when grid_phase >= 0, the distinct values −0.6 + phase + 0.1·k
/// (k = 0, 1, ...) shuffled, so no two elements tie (and two inputs with phases 0 and
/// 0.05 never tie with each other either).
struct Domain {
    double lo = -1.5;
    double hi = 1.5;
    std::vector<double> kinks;
    double grid_phase = -1;
};

constexpr double kMargin = 0.05;  // far larger than gradcheck's step (1e-6)

Domain any_value(double lo = -1.5, double hi = 1.5) { return {lo, hi, {}, -1}; }
Domain positive() { return {0.5, 2.0, {}, -1}; }
Domain away_from(std::vector<double> kinks) { return {-1.5, 1.5, std::move(kinks), -1}; }
Domain distinct(double phase = 0) { return {0, 0, {}, phase}; }

xt::xarray<double> draw(const Shape& shape, const Domain& d, std::mt19937_64& rng) {
    xt::xarray<double> a = xt::xarray<double>::from_shape(shape);
    if (d.grid_phase >= 0) {
        std::vector<double> values(a.size());
        for (std::size_t k = 0; k < values.size(); ++k)
            values[k] = -0.6 + d.grid_phase + 0.1 * static_cast<double>(k);
        std::shuffle(values.begin(), values.end(), rng);
        std::copy(values.begin(), values.end(), a.begin());
        return a;
    }
    std::uniform_real_distribution<double> u(d.lo, d.hi);
    for (auto& e : a) {
        do e = u(rng);
        while (std::any_of(d.kinks.begin(), d.kinks.end(),
                           [&](double k) { return std::abs(e - k) < kMargin; }));
    }
    return a;
}

struct GradcheckCase {
    std::string name;             ///< a GoogleTest name: letters, digits, underscores
    std::vector<Shape> shapes;    ///< one per input
    std::vector<Domain> domains;  ///< one per input, or a single one for all inputs
    tg::GradcheckFunction f;
};

void PrintTo(const GradcheckCase& c, std::ostream* os) { *os << c.name; }

const std::vector<Shape> kBroadcastShapes = {{}, {1}, {4}, {3, 1}, {1, 4}, {3, 4}};

/// Every ordered pair of kBroadcastShapes for a binary broadcasting op.
void add_broadcast_rows(
    std::vector<GradcheckCase>& rows, const std::string& op, Domain a, Domain b,
    std::function<Tensor<double>(const Tensor<double>&, const Tensor<double>&)> f) {
    for (const Shape& sa : kBroadcastShapes)
        for (const Shape& sb : kBroadcastShapes)
            rows.push_back({op + "_" + tg::test::shape_name(sa) + "_" + tg::test::shape_name(sb),
                            {sa, sb},
                            {a, b},
                            [f](const Inputs& in) { return f(in[0], in[1]); }});
}

std::vector<GradcheckCase> gradcheck_cases() {
    std::vector<GradcheckCase> rows;
    using T = Tensor<double>;

    // Binary broadcasting ops over every ordered pair of shapes.
    add_broadcast_rows(rows, "add", any_value(), any_value(),
                       [](const T& a, const T& b) { return tg::add(a, b); });
    add_broadcast_rows(rows, "sub", any_value(), any_value(),
                       [](const T& a, const T& b) { return tg::sub(a, b); });
    add_broadcast_rows(rows, "mul", any_value(), any_value(),
                       [](const T& a, const T& b) { return tg::mul(a, b); });
    add_broadcast_rows(rows, "div", any_value(), positive(),
                       [](const T& a, const T& b) { return tg::div(a, b); });
    add_broadcast_rows(rows, "maximum", distinct(0), distinct(0.05),
                       [](const T& a, const T& b) { return tg::maximum(a, b); });
    add_broadcast_rows(rows, "minimum", distinct(0), distinct(0.05),
                       [](const T& a, const T& b) { return tg::minimum(a, b); });
    // pow with a tensor exponent on its domain a > 0; atan2 away from the origin and from
    // its branch cut (y = 0, x < 0).
    add_broadcast_rows(rows, "pow_tensor", positive(), any_value(),
                       [](const T& a, const T& b) { return tg::pow(a, b); });
    add_broadcast_rows(rows, "atan2", away_from({0}), away_from({0}),
                       [](const T& y, const T& x) { return tg::atan2(y, x); });

    auto unary = [&](std::string name, Domain d, std::function<T(const T&)> f,
                     Shape shape = {3, 4}) {
        rows.push_back(
            {std::move(name), {std::move(shape)}, {d}, [f](const Inputs& in) { return f(in[0]); }});
    };

    // Elementwise math and activations.
    unary("neg", any_value(), [](const T& x) { return tg::neg(x); });
    unary("pow_3", any_value(), [](const T& x) { return tg::pow(x, 3.0); });
    unary("pow_2_5", positive(), [](const T& x) { return tg::pow(x, 2.5); });
    unary("pow_0_5", positive(), [](const T& x) { return tg::pow(x, 0.5); });
    unary("pow_minus_1_5", positive(), [](const T& x) { return tg::pow(x, -1.5); });
    unary("square", any_value(), [](const T& x) { return tg::square(x); });
    unary("sqrt", positive(), [](const T& x) { return tg::sqrt(x); });
    unary("exp", any_value(), [](const T& x) { return tg::exp(x); });
    unary("log", positive(), [](const T& x) { return tg::log(x); });
    unary("abs", away_from({0}), [](const T& x) { return tg::abs(x); });
    unary("sigmoid", any_value(-4, 4), [](const T& x) { return tg::sigmoid(x); });
    unary("tanh", any_value(-3, 3), [](const T& x) { return tg::tanh(x); });
    unary("relu", away_from({0}), [](const T& x) { return tg::relu(x); });
    unary("leaky_relu", away_from({0}), [](const T& x) { return tg::leaky_relu(x); });
    unary("leaky_relu_slope_0_2", away_from({0}),
          [](const T& x) { return tg::leaky_relu(x, 0.2); });
    unary("softplus", any_value(-5, 5), [](const T& x) { return tg::softplus(x); });
    unary("softplus_large_magnitude", any_value(-40, 40),
          [](const T& x) { return tg::softplus(x); });
    unary("clamp", away_from({-0.5, 0.5}), [](const T& x) { return tg::clamp(x, -0.5, 0.5); });
    unary(
        "exp_0d", any_value(), [](const T& x) { return tg::exp(x); }, Shape{});
    unary("rsqrt", positive(), [](const T& x) { return tg::rsqrt(x); });
    unary("reciprocal", positive(), [](const T& x) { return tg::reciprocal(x); });
    unary("reciprocal_negative", any_value(-2, -0.5), [](const T& x) { return tg::reciprocal(x); });
    unary("expm1", any_value(-2, 2), [](const T& x) { return tg::expm1(x); });
    unary("log1p", any_value(-0.5, 2), [](const T& x) { return tg::log1p(x); });
    unary("erf", any_value(-2, 2), [](const T& x) { return tg::erf(x); });
    unary("erfc", any_value(-2, 3), [](const T& x) { return tg::erfc(x); });
    unary("sign", away_from({0}), [](const T& x) { return tg::sign(x); });  // gradient 0
    unary("sin", any_value(-3, 3), [](const T& x) { return tg::sin(x); });
    unary("cos", any_value(-3, 3), [](const T& x) { return tg::cos(x); });
    unary("tan", any_value(-1.3, 1.3), [](const T& x) { return tg::tan(x); });  // poles ±π/2
    unary("atan", any_value(-3, 3), [](const T& x) { return tg::atan(x); });
    unary("sinh", any_value(-2, 2), [](const T& x) { return tg::sinh(x); });
    unary("cosh", any_value(-2, 2), [](const T& x) { return tg::cosh(x); });
    unary("asinh", any_value(-3, 3), [](const T& x) { return tg::asinh(x); });
    unary("gelu", any_value(-3, 3), [](const T& x) { return tg::gelu(x); });
    unary("gelu_negative", any_value(-4.5, -3), [](const T& x) { return tg::gelu(x); });
    unary("silu", any_value(-4, 4), [](const T& x) { return tg::silu(x); });
    unary("elu", away_from({0}), [](const T& x) { return tg::elu(x); });
    unary("elu_alpha_0_5", away_from({0}), [](const T& x) { return tg::elu(x, 0.5); });
    unary("softsign", away_from({0}), [](const T& x) { return tg::softsign(x); });

    // Scalar operator overloads.
    unary("scalar_x_plus_2", any_value(), [](const T& x) { return x + 2.0; });
    unary("scalar_2_plus_x", any_value(), [](const T& x) { return 2.0 + x; });
    unary("scalar_x_minus_2", any_value(), [](const T& x) { return x - 2.0; });
    unary("scalar_2_minus_x", any_value(), [](const T& x) { return 2.0 - x; });
    unary("scalar_x_times_3", any_value(), [](const T& x) { return x * 3.0; });
    unary("scalar_3_times_x", any_value(), [](const T& x) { return 3.0 * x; });
    unary("scalar_1_over_x", positive(), [](const T& x) { return 1.0 / x; });
    unary("scalar_x_over_4", any_value(), [](const T& x) { return x / 4.0; });
    unary("scalar_unary_minus", any_value(), [](const T& x) { return -x; });

    // Reductions.
    const Shape cube = {2, 3, 4};
    unary("sum_all", any_value(), [](const T& x) { return tg::sum(x); });
    unary(
        "sum_all_0d", any_value(), [](const T& x) { return tg::sum(x); }, Shape{});
    unary(
        "sum_all_3d", any_value(), [](const T& x) { return tg::sum(x); }, cube);
    unary("mean_all", any_value(), [](const T& x) { return tg::mean(x); });
    unary(
        "mean_all_3d", any_value(), [](const T& x) { return tg::mean(x); }, cube);
    const std::vector<std::pair<std::string, tg::Axes>> axes_2d = {
        {"0", {0}},       {"1", {1}},      {"minus1", {-1}},
        {"minus2", {-2}}, {"0_1", {0, 1}}, {"minus1_0", {-1, 0}}};
    const std::vector<std::pair<std::string, tg::Axes>> axes_3d = {
        {"1", {1}}, {"0_2", {0, 2}}, {"minus1_0", {-1, 0}}, {"0_1_2", {0, 1, 2}}};
    for (bool keep : {false, true}) {
        const std::string k = keep ? "_keepdims" : "";
        for (const auto& [label, axes] : axes_2d) {
            unary("sum_axes_" + label + k, any_value(),
                  [axes = axes, keep](const T& x) { return tg::sum(x, axes, keep); });
            unary("mean_axes_" + label + k, any_value(),
                  [axes = axes, keep](const T& x) { return tg::mean(x, axes, keep); });
        }
        for (const auto& [label, axes] : axes_3d) {
            unary(
                "sum_3d_axes_" + label + k, any_value(),
                [axes = axes, keep](const T& x) { return tg::sum(x, axes, keep); }, cube);
            unary(
                "mean_3d_axes_" + label + k, any_value(),
                [axes = axes, keep](const T& x) { return tg::mean(x, axes, keep); }, cube);
        }
        for (long axis : {0L, 1L, -1L}) {
            const std::string a = axis < 0 ? "minus" + std::to_string(-axis) : std::to_string(axis);
            unary("max_axis_" + a + k, distinct(),
                  [axis, keep](const T& x) { return tg::max(x, axis, keep); });
        }
        unary(
            "max_3d_axis_1" + k, distinct(), [keep](const T& x) { return tg::max(x, 1, keep); },
            cube);
        unary(
            "max_1d_axis_0" + k, distinct(), [keep](const T& x) { return tg::max(x, 0, keep); },
            Shape{5});
    }

    // Matrix products.
    rows.push_back({"matmul_2d", {{3, 4}, {4, 2}}, {any_value()}, [](const Inputs& in) {
                        return tg::matmul(in[0], in[1]);
                    }});
    rows.push_back(
        {"matmul_batched_3d_2d", {{2, 3, 4}, {4, 2}}, {any_value()}, [](const Inputs& in) {
             return tg::matmul(in[0], in[1]);
         }});
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            // op(a) is (3, 4) and op(b) is (4, 2).
            const Shape sa = ta ? Shape{4, 3} : Shape{3, 4};
            const Shape sb = tb ? Shape{2, 4} : Shape{4, 2};
            rows.push_back({std::string("gemm_") + (ta ? "T" : "N") + (tb ? "T" : "N"),
                            {sa, sb},
                            {any_value()},
                            [ta, tb](const Inputs& in) { return tg::gemm(in[0], in[1], ta, tb); }});
        }
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            // A single row (1, 5) @ (5, 3) and an outer product (4, 1) @ (1, 3): the plain-loop
            // kernels, forward and in every backward product.
            const std::string flags = std::string(ta ? "T" : "N") + (tb ? "T" : "N");
            const auto product = [ta, tb](const Inputs& in) {
                return tg::gemm(in[0], in[1], ta, tb);
            };
            // A row and an outer product above 16 multiply-adds (the SIMD kernel), and a
            // product of 8 (the plain loops).
            rows.push_back({"gemm_row_" + flags,
                            {ta ? Shape{6, 1} : Shape{1, 6}, tb ? Shape{3, 6} : Shape{6, 3}},
                            {any_value()},
                            product});
            rows.push_back({"gemm_outer_" + flags,
                            {ta ? Shape{1, 6} : Shape{6, 1}, tb ? Shape{3, 1} : Shape{1, 3}},
                            {any_value()},
                            product});
            rows.push_back({"gemm_tiny_" + flags, {{2, 2}, {2, 2}}, {any_value()}, product});
        }
    rows.push_back({"linear_row", {{1, 6}, {3, 6}, {3}}, {any_value()}, [](const Inputs& in) {
                        return tg::linear(in[0], in[1], in[2]);
                    }});
    rows.push_back({"linear_3d", {{2, 3, 4}, {5, 4}, {5}}, {any_value()}, [](const Inputs& in) {
                        return tg::linear(in[0], in[1], in[2]);
                    }});
    rows.push_back({"linear_1d", {{4}, {3, 4}, {3}}, {any_value()}, [](const Inputs& in) {
                        return tg::linear(in[0], in[1], in[2]);
                    }});
    rows.push_back({"linear_3d_no_bias", {{2, 3, 4}, {5, 4}}, {any_value()},
                    [](const Inputs& in) { return tg::linear(in[0], in[1]); }});
    rows.push_back({"linear", {{3, 4}, {2, 4}, {2}}, {any_value()}, [](const Inputs& in) {
                        return tg::linear(in[0], in[1], in[2]);
                    }});

    // Moving and reshaping values.
    unary("transpose_2d", any_value(), [](const T& x) { return tg::transpose(x); });
    unary(
        "transpose_3d", any_value(), [](const T& x) { return tg::transpose(x); }, cube);
    unary(
        "permute_1_2_0", any_value(),
        [](const T& x) {
            return tg::permute(x, {1, 2, 0});
        },
        cube);
    unary(
        "permute_2_0_1", any_value(),
        [](const T& x) {
            return tg::permute(x, {2, 0, 1});
        },
        cube);
    unary("permute_identity", any_value(), [](const T& x) { return tg::permute(x, {0, 1}); });
    unary("reshape_2x6", any_value(), [](const T& x) { return tg::reshape(x, {2, 6}); });
    unary("reshape_flat", any_value(), [](const T& x) { return tg::reshape(x, {12}); });
    unary(
        "reshape_0d_to_1x1", any_value(),
        [](const T& x) {
            return tg::reshape(x, {1, 1});
        },
        Shape{});
    unary(
        "broadcast_to_4_to_3x4", any_value(),
        [](const T& x) {
            return tg::broadcast_to(x, {3, 4});
        },
        Shape{4});
    unary(
        "broadcast_to_3x1_to_2x3x4", any_value(),
        [](const T& x) {
            return tg::broadcast_to(x, {2, 3, 4});
        },
        Shape{3, 1});
    unary(
        "broadcast_to_0d_to_3x4", any_value(),
        [](const T& x) {
            return tg::broadcast_to(x, {3, 4});
        },
        Shape{});
    unary(
        "broadcast_to_1x4_to_3x4", any_value(),
        [](const T& x) {
            return tg::broadcast_to(x, {3, 4});
        },
        Shape{1, 4});
    unary("sum_to_4", any_value(), [](const T& x) { return tg::sum_to(x, {4}); });
    unary("sum_to_3x1", any_value(), [](const T& x) { return tg::sum_to(x, {3, 1}); });
    unary(
        "sum_to_1x4", any_value(),
        [](const T& x) {
            return tg::sum_to(x, {1, 4});
        },
        cube);
    unary("sum_to_0d", any_value(), [](const T& x) { return tg::sum_to(x, {}); });
    rows.push_back({"concat_axis_0", {{2, 4}, {3, 4}}, {any_value()}, [](const Inputs& in) {
                        return tg::concat(in, 0);
                    }});
    rows.push_back({"concat_axis_1_three_inputs",
                    {{3, 2}, {3, 4}, {3, 1}},
                    {any_value()},
                    [](const Inputs& in) { return tg::concat(in, 1); }});
    rows.push_back({"concat_axis_minus1", {{3, 2}, {3, 3}}, {any_value()}, [](const Inputs& in) {
                        return tg::concat(in, -1);
                    }});
    rows.push_back(
        {"concat_3d_axis_1", {{2, 1, 3}, {2, 2, 3}}, {any_value()}, [](const Inputs& in) {
             return tg::concat(in, 1);
         }});
    rows.push_back({"concat_1d", {{2}, {3}}, {any_value()}, [](const Inputs& in) {
                        return tg::concat(in, 0);
                    }});
    unary(
        "narrow_axis_0", any_value(), [](const T& x) { return tg::narrow(x, 0, 1, 2); },
        Shape{4, 3});
    unary(
        "narrow_axis_minus1", any_value(), [](const T& x) { return tg::narrow(x, -1, 2, 3); },
        Shape{3, 5});
    unary(
        "narrow_3d_axis_1", any_value(), [](const T& x) { return tg::narrow(x, 1, 1, 1); }, cube);
    unary(
        "rows_repeated", any_value(),
        [](const T& x) {
            return tg::rows(x, {2, 0, 2, 3, 2});
        },
        Shape{4, 3});
    unary(
        "rows_1d", any_value(),
        [](const T& x) {
            return tg::rows(x, {4, 4, 1});
        },
        Shape{5});
    unary(
        "rows_3d", any_value(),
        [](const T& x) {
            return tg::rows(x, {1, 1, 0});
        },
        cube);
    unary(
        "index_add_rows_repeated", any_value(),
        [](const T& x) {
            return tg::index_add_rows(x, {1, 0, 1, 3, 1}, 4);
        },
        Shape{5, 3});
    unary(
        "index_add_rows_1d", any_value(),
        [](const T& x) {
            return tg::index_add_rows(x, {2, 2, 0}, 4);
        },
        Shape{3});

    // softmax and log_softmax.
    for (long axis : {0L, 1L, -1L}) {
        const std::string a = axis < 0 ? "minus" + std::to_string(-axis) : std::to_string(axis);
        unary("softmax_axis_" + a, any_value(-3, 3),
              [axis](const T& x) { return tg::softmax(x, axis); });
        unary("log_softmax_axis_" + a, any_value(-3, 3),
              [axis](const T& x) { return tg::log_softmax(x, axis); });
    }
    unary(
        "softmax_3d_axis_1", any_value(-3, 3), [](const T& x) { return tg::softmax(x, 1); }, cube);
    unary(
        "log_softmax_3d_axis_1", any_value(-3, 3), [](const T& x) { return tg::log_softmax(x, 1); },
        cube);
    unary(
        "softmax_1d", any_value(-3, 3), [](const T& x) { return tg::softmax(x); }, Shape{5});
    unary(
        "log_softmax_1d", any_value(-3, 3), [](const T& x) { return tg::log_softmax(x); },
        Shape{5});
    unary(
        "softmax_single_element_axis", any_value(-3, 3),
        [](const T& x) { return tg::softmax(x, 1); }, Shape{3, 1});

    // One tensor used several times: gradients from every use add up.
    unary("mul_same_input_twice", any_value(), [](const T& x) { return x * x; });
    unary("sub_same_input_twice", any_value(), [](const T& x) { return x - x + x * 2.0; });
    unary("concat_same_input_twice", any_value(), [](const T& x) {
        return tg::concat(std::vector<T>{x, x}, 1);
    });
    unary("matmul_same_input_twice", any_value(),
          [](const T& x) { return tg::matmul(x, tg::transpose(x)); });

    // Attention: plain, batched with a scale, masked (a constant additive mask with −inf
    // entries, never a whole row) and causal, and several heads side by side.
    rows.push_back(
        {"scaled_dot_product_attention",
         {{2, 3, 4}, {2, 5, 4}, {2, 5, 2}},
         {any_value()},
         [](const Inputs& in) { return tg::scaled_dot_product_attention(in[0], in[1], in[2]); }});
    rows.push_back({"scaled_dot_product_attention_4d_scale",
                    {{2, 2, 3, 2}, {2, 2, 3, 2}, {2, 2, 3, 3}},
                    {any_value()},
                    [](const Inputs& in) {
                        return tg::scaled_dot_product_attention(in[0], in[1], in[2], T(), false,
                                                                0.7);
                    }});
    const double inf = std::numeric_limits<double>::infinity();
    const T mask(
        xt::xarray<double>{{0.0, -inf, 0.5, 0.0}, {-0.3, 0.0, -inf, 0.2}, {0.0, 0.0, 0.0, -inf}});
    rows.push_back({"scaled_dot_product_attention_mask_causal",
                    {{2, 3, 2}, {2, 4, 2}, {2, 4, 3}},
                    {any_value()},
                    [mask](const Inputs& in) {
                        return tg::scaled_dot_product_attention(in[0], in[1], in[2], mask, true);
                    }});
    rows.push_back({"scaled_dot_product_attention_heads",
                    {{2, 3, 4}, {2, 4, 4}, {2, 4, 6}},
                    {any_value()},
                    [mask](const Inputs& in) {
                        return tg::scaled_dot_product_attention_heads(
                            in[0], in[1], in[2], 2, tg::reshape(mask, {1, 1, 3, 4}));
                    }});
    // An additive float mask of biases (ALiBi's −slope·|i − j| plus a constant, no −inf)
    // and PyTorch's boolean masks; the masks are constants (they get no gradient).
    const T bias(xt::xarray<double>{
        {0.0, -0.5, -1.0, 0.7}, {-0.5, 0.0, -0.5, -1.0}, {-1.0, -0.5, 0.0, 0.2}});
    rows.push_back({"scaled_dot_product_attention_additive_bias",
                    {{2, 3, 2}, {2, 4, 2}, {2, 4, 3}},
                    {any_value()},
                    [bias](const Inputs& in) {
                        return tg::scaled_dot_product_attention(in[0], in[1], in[2], bias);
                    }});
    const T keep(xt::xarray<double>{{1, 0, 1, 1}, {1, 1, 0, 1}, {0, 1, 1, 1}});
    rows.push_back({"scaled_dot_product_attention_allow_mask",
                    {{2, 3, 2}, {2, 4, 2}, {2, 4, 3}},
                    {any_value()},
                    [keep](const Inputs& in) {
                        return tg::scaled_dot_product_attention(in[0], in[1], in[2],
                                                                {keep, tg::MaskKind::allow});
                    }});
    rows.push_back({"scaled_dot_product_attention_heads_block_mask_bias",
                    {{2, 3, 4}, {2, 4, 4}, {2, 4, 6}},
                    {any_value()},
                    [keep, bias](const Inputs& in) {
                        return tg::scaled_dot_product_attention_heads(
                                   in[0], in[1], in[2], 2, {1.0 - keep, tg::MaskKind::block}) +
                               tg::scaled_dot_product_attention_heads(
                                   in[0], in[1], in[2], 2, tg::reshape(bias, {1, 1, 3, 4}));
                    }});
    rows.push_back({"scaled_dot_product_attention_heads_causal",
                    {{2, 3, 6}, {2, 3, 6}, {2, 3, 3}},
                    {any_value()},
                    [](const Inputs& in) {
                        return tg::scaled_dot_product_attention_heads(in[0], in[1], in[2], 3, T(),
                                                                      true);
                    }});

    // A composite: gradients flow through a chain of different ops.
    rows.push_back({"composite_linear_tanh_log_softmax",
                    {{3, 4}, {2, 4}, {2}},
                    {any_value()},
                    [](const Inputs& in) {
                        return tg::mean(
                            tg::log_softmax(tg::tanh(tg::linear(in[0], in[1], in[2])), 1));
                    }});
    return rows;
}

/// The case's inputs, drawn from its domains with a seed fixed by its name.
Inputs draw_inputs(const GradcheckCase& c) {
    std::mt19937_64 rng(tg::test::seed_of(c.name));
    Inputs inputs;
    for (std::size_t i = 0; i < c.shapes.size(); ++i) {
        const Domain& d = c.domains.size() == 1 ? c.domains[0] : c.domains.at(i);
        inputs.push_back(Tensor<double>(draw(c.shapes[i], d, rng)));
    }
    return inputs;
}

class OpGradcheck : public ::testing::TestWithParam<GradcheckCase> {};

TEST_P(OpGradcheck, TapeGradientMatchesFiniteDifferences) {
    const GradcheckCase& c = GetParam();
    const Inputs inputs = draw_inputs(c);
    tg::GradcheckResult result;
    try {
        result = tg::gradcheck(c.f, inputs);
    } catch (const std::exception& e) {
        FAIL() << c.name << ": threw " << e.what();
    }
    ASSERT_EQ(result.inputs.size(), inputs.size()) << c.name;
    EXPECT_TRUE(result.passed) << c.name << ": " << result.message << "\n" << result.report();
}

// create_graph: every op's backward is written with tapegrad's ops, so its second
// derivatives come from the tape too (gradient of <∇f, v> against finite differences of
// first derivatives). Kinks and ties are avoided by the same domains as above.
TEST_P(OpGradcheck, TapeSecondDerivativeMatchesFiniteDifferences) {
    const GradcheckCase& c = GetParam();
    const Inputs inputs = draw_inputs(c);
    tg::GradcheckResult result;
    try {
        result = tg::gradgradcheck(c.f, inputs);
    } catch (const std::exception& e) {
        FAIL() << c.name << ": threw " << e.what();
    }
    ASSERT_EQ(result.inputs.size(), inputs.size()) << c.name;
    EXPECT_TRUE(result.passed) << c.name << ": " << result.message << "\n" << result.report();
}

std::string case_name(const ::testing::TestParamInfo<GradcheckCase>& info) {
    return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpGradcheck, ::testing::ValuesIn(gradcheck_cases()), case_name);

}  // namespace
