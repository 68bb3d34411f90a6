// The rows of the op table (op_table.hpp), in the order of the README's op list. Adding an
// op is one row here: unary(...) or binary(...) for an elementwise op (its reference value
// and derivatives in double, the domain its inputs come from), general(...) with samples
// for any other op, not_differentiable(...) for an op without gradient.

#include "op_table.hpp"

#include <tapegrad/detail/vectorize.hpp>
#include <tapegrad/nn/random.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace tg::test {

const std::vector<Shape> kBroadcastShapes = {{}, {1}, {4}, {3, 1}, {1, 4}, {3, 4}};

std::vector<Shape> unary_check_shapes() {
    const std::size_t n = detail::kVectorizedMinSize;
    return {{1}, {12}, {n - 1}, {n}, {n + 1}, {300}, {1000}, {2, 3, 4}, {}};
}

std::vector<std::pair<Shape, Shape>> binary_check_shapes() {
    std::vector<std::pair<Shape, Shape>> pairs;
    for (const Shape& a : kBroadcastShapes)
        for (const Shape& b : kBroadcastShapes) pairs.push_back({a, b});
    const std::size_t n = detail::kVectorizedMinSize;
    for (const std::pair<Shape, Shape>& p :
         std::vector<std::pair<Shape, Shape>>{{{n - 1}, {n - 1}},
                                              {{n}, {n}},
                                              {{5, 13}, {5, 13}},
                                              {{1000}, {1000}},
                                              {{4, 3}, {3}},
                                              {{70}, {1}},
                                              {{2, 40}, {2, 1}},
                                              {{3, 1}, {1, 30}},
                                              {{8, 125}, {125}},
                                              {{}, {1000}},
                                              {{40, 1}, {1, 25}}})
        pairs.push_back(p);
    return pairs;
}

xt::xarray<double> draw(const Shape& shape, const Domain& d, std::mt19937_64& rng) {
    xt::xarray<double> a = xt::xarray<double>::from_shape(shape);
    if (!std::isnan(d.grid_phase)) {
        std::vector<double> values(a.size());
        const double half = static_cast<double>(values.size() / 2);
        for (std::size_t k = 0; k < values.size(); ++k)
            values[k] = 0.1 * (static_cast<double>(k) - half) + d.grid_phase;
        std::shuffle(values.begin(), values.end(), rng);
        std::copy(values.begin(), values.end(), a.begin());
        return a;
    }
    std::uniform_real_distribution<double> u(d.lo, d.hi);
    for (auto& e : a) {
        do e = u(rng);
        while (std::any_of(d.kinks.begin(), d.kinks.end(),
                           [&](double k) { return std::abs(e - k) < kKinkMargin; }));
        if (d.random_signs && rng() % 2) e = -e;
    }
    return a;
}

Inputs draw_inputs(const Sample& s, const std::string& name) {
    std::mt19937_64 rng(seed_of(name));
    Inputs inputs;
    for (std::size_t i = 0; i < s.shapes.size(); ++i) {
        const Domain& d = s.domains.size() == 1 ? s.domains[0] : s.domains.at(i);
        inputs.emplace_back(draw(s.shapes[i], d, rng));
    }
    return inputs;
}

std::string OpInfo::test_name() const {
    std::string out = name;
    if (name == "+") out = "operator_plus";
    if (name == "-") out = "operator_minus";
    if (name == "*") out = "operator_times";
    if (name == "/") out = "operator_over";
    return variant.empty() ? out : out + "_" + variant;
}

namespace {

using T = Tensor<double>;
using V = const Inputs&;

/// A row under construction; the modifiers return it for chaining.
struct Row {
    OpInfo info;

    Row& variant(std::string v) {
        info.variant = std::move(v);
        return *this;
    }
    Row& recorded(std::string r) {
        info.recorded = std::move(r);
        return *this;
    }
    /// An elementwise op's inputs also drawn from another domain (more samples).
    Row& also_on(std::string label, Domain a, Domain b = {}) {
        info.domains.push_back({std::move(label), std::move(a), std::move(b)});
        return *this;
    }
    /// A sample beyond the generated ones of an elementwise op.
    Row& also(Sample s) {
        info.samples.push_back(std::move(s));
        return *this;
    }
    /// An op recorded as the several ops it is made of, none under its own name.
    Row& composite() {
        info.recorded = "";
        return *this;
    }
    Row& second_order(SecondOrder s) {
        info.second_order = std::move(s);
        return *this;
    }
};

template <class F>
Row unary(std::string name, F op, Scalar1 value, Scalar1 derivative, Domain d) {
    Row r;
    r.info.kind = OpInfo::Kind::unary;
    r.info.recorded = name;
    r.info.name = std::move(name);
    r.info.unary_float = op;
    r.info.unary_double = op;
    r.info.value1 = std::move(value);
    r.info.derivative = std::move(derivative);
    r.info.domains = {{"", std::move(d), {}}};
    return r;
}

template <class F>
Row binary(std::string name, F op, Scalar2 value, Scalar2 da, Scalar2 db, Domain a, Domain b) {
    Row r;
    r.info.kind = OpInfo::Kind::binary;
    r.info.recorded = name;
    r.info.name = std::move(name);
    r.info.binary_float = op;
    r.info.binary_double = op;
    r.info.value2 = std::move(value);
    r.info.da = std::move(da);
    r.info.db = std::move(db);
    r.info.domains = {{"", std::move(a), std::move(b)}};
    return r;
}

Row general(std::string name, std::vector<Sample> samples) {
    Row r;
    r.info.kind = OpInfo::Kind::general;
    r.info.recorded = name;
    r.info.name = std::move(name);
    r.info.samples = std::move(samples);
    return r;
}

Row not_differentiable(std::string name, std::vector<Sample> samples) {
    Row r = general(std::move(name), std::move(samples));
    r.info.kind = OpInfo::Kind::not_differentiable;
    r.info.recorded = "";
    return r;
}

/// A sample of one input.
Sample one(std::string label, Shape shape, Domain d, std::function<T(const T&)> f) {
    return {std::move(label), {std::move(shape)}, {std::move(d)}, [f](V x) { return f(x[0]); }};
}

/// y · x²: the second-order function of an op whose square is flat (sign, x⁰, a softmax
/// over one element: the gradient is 0) or linear (√x, x^0.5); its second derivative runs
/// through the op's backward all the same.
Tensor<double> times_square_of_input(const Tensor<double>& y, const Inputs& x) {
    return y * square(x[0]);
}

/// The gradient-check samples of an elementwise row: a (3, 4) input and a 0-d one for a
/// unary op, every ordered pair of kBroadcastShapes for a binary op, on the main domain;
/// one (3, 4) sample (a pair for a binary op) on each further domain.
void add_elementwise_samples(OpInfo& op) {
    std::vector<Sample> generated;
    for (std::size_t k = 0; k < op.domains.size(); ++k) {
        const ElementwiseDomain& d = op.domains[k];
        if (op.kind == OpInfo::Kind::unary) {
            const UnaryOp<double> f = op.unary_double;
            const GradcheckFunction g = [f](V x) { return f(x[0]); };
            generated.push_back({d.label, {{3, 4}}, {d.a}, g});
            if (k == 0) generated.push_back({"0d", {Shape{}}, {d.a}, g});
            continue;
        }
        const BinaryOp<double> f = op.binary_double;
        const GradcheckFunction g = [f](V x) { return f(x[0], x[1]); };
        if (k > 0) {
            generated.push_back({d.label, {{3, 4}, {3, 4}}, {d.a, d.b}, g});
            continue;
        }
        for (const Shape& sa : kBroadcastShapes)
            for (const Shape& sb : kBroadcastShapes)
                generated.push_back(
                    {shape_name(sa) + "_" + shape_name(sb), {sa, sb}, {d.a, d.b}, g});
    }
    op.samples.insert(op.samples.begin(), generated.begin(), generated.end());
}

double step(bool condition) { return condition ? 1.0 : 0.0; }

void add_arithmetic(std::vector<Row>& rows) {
    rows.push_back(binary(
        "add", [](auto& a, auto& b) { return tg::add(a, b); },
        [](double a, double b) { return a + b; }, [](double, double) { return 1.0; },
        [](double, double) { return 1.0; }, any_value(), any_value()));
    // a − b records as a + (−b).
    rows.push_back(binary(
                       "sub", [](auto& a, auto& b) { return tg::sub(a, b); },
                       [](double a, double b) { return a - b; }, [](double, double) { return 1.0; },
                       [](double, double) { return -1.0; }, any_value(), any_value())
                       .recorded("add"));
    rows.push_back(binary(
                       "mul", [](auto& a, auto& b) { return tg::mul(a, b); },
                       [](double a, double b) { return a * b; }, [](double, double b) { return b; },
                       [](double a, double) { return a; }, any_value(-2, 2), any_value(-2, 2))
                       .also({"same_input_twice", {{3, 4}}, {any_value()}, [](V x) {
                                  return tg::mul(x[0], x[0]);
                              }}));
    // a / b records as a · b⁻¹.
    rows.push_back(binary(
                       "div", [](auto& a, auto& b) { return tg::div(a, b); },
                       [](double a, double b) { return a / b; },
                       [](double, double b) { return 1 / b; },
                       [](double a, double b) { return -a / (b * b); }, any_value(), positive())
                       .recorded("mul"));
    rows.push_back(unary(
        "neg", [](auto& x) { return tg::neg(x); }, [](double v) { return -v; },
        [](double) { return -1.0; }, any_value()));
    // Ties split the gradient in halves, as PyTorch; the grids keep a and b apart.
    const auto tie_half = [](double a, double b) { return a > b ? 1.0 : a == b ? 0.5 : 0.0; };
    rows.push_back(binary(
        "maximum", [](auto& a, auto& b) { return tg::maximum(a, b); },
        [](double a, double b) { return std::max(a, b); }, tie_half,
        [tie_half](double a, double b) { return tie_half(b, a); }, distinct(0), distinct(0.05)));
    rows.push_back(binary(
        "minimum", [](auto& a, auto& b) { return tg::minimum(a, b); },
        [](double a, double b) { return std::min(a, b); },
        [tie_half](double a, double b) { return tie_half(b, a); }, tie_half, distinct(0),
        distinct(0.05)));
    rows.push_back(unary(
        "clamp", [](auto& x) { return tg::clamp(x, -0.5, 0.75); },
        [](double v) { return std::clamp(v, -0.5, 0.75); },
        [](double v) { return step(v >= -0.5 && v <= 0.75); }, away_from({-0.5, 0.75})));

    // The operators, on two tensors and with a scalar on either side.
    const auto unit = [](double, double) { return 1.0; };
    rows.push_back(binary(
                       "+", [](auto& a, auto& b) { return a + b; },
                       [](double a, double b) { return a + b; }, unit, unit, any_value(),
                       any_value())
                       .variant("tensors")
                       .recorded("add"));
    rows.push_back(unary(
                       "+", [](auto& x) { return x + 2.0; }, [](double v) { return v + 2; },
                       [](double) { return 1.0; }, any_value())
                       .variant("x_2")
                       .recorded("add"));
    rows.push_back(unary(
                       "+", [](auto& x) { return 2.0 + x; }, [](double v) { return 2 + v; },
                       [](double) { return 1.0; }, any_value())
                       .variant("2_x")
                       .recorded("add"));
    rows.push_back(binary(
                       "-", [](auto& a, auto& b) { return a - b; },
                       [](double a, double b) { return a - b; }, unit,
                       [](double, double) { return -1.0; }, any_value(), any_value())
                       .variant("tensors")
                       .recorded("add")
                       .also({"same_input_twice", {{3, 4}}, {any_value()}, [](V x) {
                                  return x[0] - x[0] + x[0] * 2.0;
                              }}));
    rows.push_back(unary(
                       "-", [](auto& x) { return x - 2.0; }, [](double v) { return v - 2; },
                       [](double) { return 1.0; }, any_value())
                       .variant("x_2")
                       .recorded("add"));
    rows.push_back(unary(
                       "-", [](auto& x) { return 2.0 - x; }, [](double v) { return 2 - v; },
                       [](double) { return -1.0; }, any_value())
                       .variant("2_x")
                       .recorded("add"));
    rows.push_back(unary(
                       "-", [](auto& x) { return -x; }, [](double v) { return -v; },
                       [](double) { return -1.0; }, any_value())
                       .variant("unary")
                       .recorded("neg"));
    rows.push_back(binary(
                       "*", [](auto& a, auto& b) { return a * b; },
                       [](double a, double b) { return a * b; }, [](double, double b) { return b; },
                       [](double a, double) { return a; }, any_value(), any_value())
                       .variant("tensors")
                       .recorded("mul"));
    rows.push_back(unary(
                       "*", [](auto& x) { return x * 3.0; }, [](double v) { return v * 3; },
                       [](double) { return 3.0; }, any_value())
                       .variant("x_3")
                       .recorded("mul"));
    rows.push_back(unary(
                       "*", [](auto& x) { return 3.0 * x; }, [](double v) { return 3 * v; },
                       [](double) { return 3.0; }, any_value())
                       .variant("3_x")
                       .recorded("mul"));
    rows.push_back(binary(
                       "/", [](auto& a, auto& b) { return a / b; },
                       [](double a, double b) { return a / b; },
                       [](double, double b) { return 1 / b; },
                       [](double a, double b) { return -a / (b * b); }, any_value(), positive())
                       .variant("tensors")
                       .recorded("mul"));
    rows.push_back(unary(
                       "/", [](auto& x) { return x / 4.0; }, [](double v) { return v / 4; },
                       [](double) { return 0.25; }, any_value())
                       .variant("x_4")
                       .recorded("mul"));
    rows.push_back(unary(
                       "/", [](auto& x) { return 1.0 / x; }, [](double v) { return 1 / v; },
                       [](double v) { return -1 / (v * v); }, positive())
                       .variant("1_x")
                       .recorded("mul"));
}

void add_math(std::vector<Row>& rows) {
    const auto pow_row = [&rows](std::string variant, double p, Domain d) {
        rows.push_back(unary(
                           "pow", [p](auto& x) { return tg::pow(x, p); },
                           [p](double v) { return std::pow(v, p); },
                           [p](double v) { return p == 0 ? 0.0 : p * std::pow(v, p - 1); }, d)
                           .variant(std::move(variant)));
    };
    pow_row("3", 3, any_value());
    pow_row("2_5", 2.5, positive());
    pow_row("0_5", 0.5, positive());
    rows.back().second_order(times_square_of_input);  // (x^0.5)² = x is linear
    pow_row("minus_1_5", -1.5, positive());
    pow_row("0", 0, any_value());
    rows.back().second_order(times_square_of_input);  // x⁰ = 1: its square is flat
    // A tensor exponent on the domain a > 0.
    rows.push_back(binary(
                       "pow", [](auto& a, auto& b) { return tg::pow(a, b); },
                       [](double a, double b) { return std::pow(a, b); },
                       [](double a, double b) { return b * std::pow(a, b - 1); },
                       [](double a, double b) { return std::pow(a, b) * std::log(a); },
                       any_value(0.1, 3), any_value(-3, 3))
                       .variant("tensor"));
    rows.push_back(unary(
        "square", [](auto& x) { return tg::square(x); }, [](double v) { return v * v; },
        [](double v) { return 2 * v; }, any_value(-2, 2)));
    rows.push_back(unary(
                       "sqrt", [](auto& x) { return tg::sqrt(x); },
                       [](double v) { return std::sqrt(v); },
                       [](double v) { return 0.5 / std::sqrt(v); }, any_value(0.2, 3))
                       .second_order(times_square_of_input));  // (√x)² = x is linear
    rows.push_back(unary(
        "rsqrt", [](auto& x) { return tg::rsqrt(x); }, [](double v) { return 1 / std::sqrt(v); },
        [](double v) { return -0.5 / (v * std::sqrt(v)); }, any_value(0.2, 4)));
    rows.push_back(unary(
                       "reciprocal", [](auto& x) { return tg::reciprocal(x); },
                       [](double v) { return 1 / v; }, [](double v) { return -1 / (v * v); },
                       any_value(0.2, 4))
                       .also_on("negative", any_value(-4, -0.5)));
    rows.push_back(unary(
        "exp", [](auto& x) { return tg::exp(x); }, [](double v) { return std::exp(v); },
        [](double v) { return std::exp(v); }, any_value(-3, 3)));
    rows.push_back(unary(
        "expm1", [](auto& x) { return tg::expm1(x); }, [](double v) { return std::expm1(v); },
        [](double v) { return std::exp(v); }, any_value(-3, 3)));
    rows.push_back(unary(
        "log", [](auto& x) { return tg::log(x); }, [](double v) { return std::log(v); },
        [](double v) { return 1 / v; }, any_value(0.2, 3)));
    rows.push_back(unary(
        "log1p", [](auto& x) { return tg::log1p(x); }, [](double v) { return std::log1p(v); },
        [](double v) { return 1 / (1 + v); }, any_value(-0.9, 3)));
    // The reference takes ln(eᵃ + eᵇ) around the midpoint c = (a + b) / 2: it neither
    // overflows on the large domains (where eᵃ does) nor shares the op's formula.
    const auto lae = [](double a, double b) {
        const double c = (a + b) / 2;
        return c + std::log(std::exp(a - c) + std::exp(b - c));
    };
    rows.push_back(binary(
                       "logaddexp", [](auto& a, auto& b) { return tg::logaddexp(a, b); }, lae,
                       [lae](double a, double b) { return std::exp(a - lae(a, b)); },
                       [lae](double a, double b) { return std::exp(b - lae(a, b)); },
                       any_value(-3, 3), any_value(-3, 3))
                       .also_on("large", any_value(500, 1000), any_value(500, 1000))
                       .also_on("very_negative", any_value(-1000, -500), any_value(-1000, -500)));
    rows.push_back(unary(
        "abs", [](auto& x) { return tg::abs(x); }, [](double v) { return std::abs(v); },
        [](double v) { return v > 0 ? 1.0 : -1.0; }, away_from({0})));
    // A step function: gradient 0 (elementwise_values_test.cpp checks it at 0 and nan).
    rows.push_back(unary(
                       "sign", [](auto& x) { return tg::sign(x); },
                       [](double v) { return v > 0 ? 1.0 : -1.0; }, [](double) { return 0.0; },
                       away_from({0}))
                       .second_order(times_square_of_input));
    const double pi = std::acos(-1.0);
    rows.push_back(unary(
        "erf", [](auto& x) { return tg::erf(x); }, [](double v) { return std::erf(v); },
        [pi](double v) { return 2 / std::sqrt(pi) * std::exp(-v * v); }, any_value(-3, 3)));
    // Into the tail, where erfc x (1e-17 at x = 6) is not 1 − erf x; there every derivative
    // of erfc itself is as small, but ln erfc x has a second derivative near −2.
    rows.push_back(
        unary(
            "erfc", [](auto& x) { return tg::erfc(x); }, [](double v) { return std::erfc(v); },
            [pi](double v) { return -2 / std::sqrt(pi) * std::exp(-v * v); }, any_value(-3, 6))
            .second_order([](const T& y, V) { return tg::log(y); }));
}

void add_trig(std::vector<Row>& rows) {
    rows.push_back(unary(
        "sin", [](auto& x) { return tg::sin(x); }, [](double v) { return std::sin(v); },
        [](double v) { return std::cos(v); }, any_value(-4, 4)));
    rows.push_back(unary(
        "cos", [](auto& x) { return tg::cos(x); }, [](double v) { return std::cos(v); },
        [](double v) { return -std::sin(v); }, any_value(-4, 4)));
    rows.push_back(unary(
        "tan", [](auto& x) { return tg::tan(x); }, [](double v) { return std::tan(v); },
        [](double v) { return 1 / (std::cos(v) * std::cos(v)); }, any_value(-1.4, 1.4)));
    rows.push_back(unary(
        "atan", [](auto& x) { return tg::atan(x); }, [](double v) { return std::atan(v); },
        [](double v) { return 1 / (1 + v * v); }, any_value(-5, 5)));
    // Away from the origin and from the branch cut (y = 0, x < 0).
    rows.push_back(binary(
        "atan2", [](auto& y, auto& x) { return tg::atan2(y, x); },
        [](double y, double x) { return std::atan2(y, x); },
        [](double y, double x) { return x / (x * x + y * y); },
        [](double y, double x) { return -y / (x * x + y * y); }, away_from({0}, -2, 2),
        away_from({0}, -2, 2)));
    rows.push_back(unary(
        "sinh", [](auto& x) { return tg::sinh(x); }, [](double v) { return std::sinh(v); },
        [](double v) { return std::cosh(v); }, any_value(-3, 3)));
    rows.push_back(unary(
        "cosh", [](auto& x) { return tg::cosh(x); }, [](double v) { return std::cosh(v); },
        [](double v) { return std::sinh(v); }, any_value(-3, 3)));
    rows.push_back(unary(
        "asinh", [](auto& x) { return tg::asinh(x); }, [](double v) { return std::asinh(v); },
        [](double v) { return 1 / std::sqrt(1 + v * v); }, any_value(-5, 5)));
}

void add_activations(std::vector<Row>& rows) {
    const auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    const double pi = std::acos(-1.0);
    rows.push_back(unary(
        "sigmoid", [](auto& x) { return tg::sigmoid(x); }, sig,
        [sig](double v) { return sig(v) * (1 - sig(v)); }, any_value(-6, 6)));
    rows.push_back(unary(
        "tanh", [](auto& x) { return tg::tanh(x); }, [](double v) { return std::tanh(v); },
        [](double v) { return 1 - std::tanh(v) * std::tanh(v); }, any_value(-3, 3)));
    rows.push_back(unary(
        "relu", [](auto& x) { return tg::relu(x); }, [](double v) { return std::max(v, 0.0); },
        [](double v) { return step(v > 0); }, away_from({0})));
    const auto leaky = [&rows](std::string variant, double slope) {
        rows.push_back(unary(
                           "leaky_relu", [slope](auto& x) { return tg::leaky_relu(x, slope); },
                           [slope](double v) { return v > 0 ? v : slope * v; },
                           [slope](double v) { return v > 0 ? 1.0 : slope; }, away_from({0}))
                           .variant(std::move(variant)));
    };
    leaky("", 0.01);  // the default slope
    leaky("slope_0_1", 0.1);
    leaky("slope_0_2", 0.2);
    // PyTorch's softplus returns x where βx > threshold (20 by default): continuous to
    // 2e-9 at the default; with a threshold of 5 and β = 2 a step of 0.0034 at x = 2.5,
    // which the domain avoids.
    rows.push_back(unary(
                       "softplus", [](auto& x) { return tg::softplus(x); },
                       [](double v) { return v > 20 ? v : std::log1p(std::exp(v)); },
                       [sig](double v) { return v > 20 ? 1.0 : sig(v); }, any_value(-8, 8))
                       .also_on("large_magnitude", any_value(-40, 40)));
    rows.push_back(unary(
                       "softplus", [](auto& x) { return tg::softplus(x, 2.0, 5.0); },
                       [](double v) { return 2 * v > 5 ? v : std::log1p(std::exp(2 * v)) / 2; },
                       [sig](double v) { return 2 * v > 5 ? 1.0 : sig(2 * v); },
                       away_from({2.5}, -2, 4))
                       .variant("beta_2_threshold_5"));
    rows.push_back(unary(
        "gelu", [](auto& x) { return tg::gelu(x); },
        [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); },
        [pi](double v) {
            return 0.5 * std::erfc(-v / std::sqrt(2.0)) +
                   v * std::exp(-v * v / 2) / std::sqrt(2 * pi);
        },
        any_value(-3, 3)));
    // Far left, where gelu x = ½ x erfc(−x/√2) is tiny (−6e−9 at x = −6) and so are its
    // derivatives; ln(−gelu x) has a second derivative near −1.
    rows.push_back(unary(
                       "gelu", [](auto& x) { return tg::gelu(x); },
                       [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); },
                       [pi](double v) {
                           return 0.5 * std::erfc(-v / std::sqrt(2.0)) +
                                  v * std::exp(-v * v / 2) / std::sqrt(2 * pi);
                       },
                       any_value(-6, -3))
                       .variant("negative")
                       .second_order([](const T& y, V) { return tg::log(-y); }));
    // GPT-2's tanh approximation, one fused op; u = √(2/π) (x + 0.044715 x³).
    const double beta = std::sqrt(2 / pi), kappa = 0.044715;
    const auto gelu_tanh = [beta, kappa](double v) {
        return 0.5 * v * (1 + std::tanh(beta * (v + kappa * v * v * v)));
    };
    const auto gelu_tanh_derivative = [beta, kappa](double v) {
        const double t = std::tanh(beta * (v + kappa * v * v * v));
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * beta * (1 + 3 * kappa * v * v);
    };
    rows.push_back(unary(
                       "gelu", [](auto& x) { return tg::gelu(x, "tanh"); }, gelu_tanh,
                       gelu_tanh_derivative, any_value(-3, 3))
                       .variant("tanh")
                       .recorded("gelu_tanh")
                       .also_on("large_magnitude", any_value(-12, 12)));
    rows.push_back(unary(
        "silu", [](auto& x) { return tg::silu(x); }, [sig](double v) { return v * sig(v); },
        [sig](double v) { return sig(v) + v * sig(v) * (1 - sig(v)); }, any_value(-8, 8)));
    const auto elu = [&rows](std::string variant, double alpha) {
        rows.push_back(unary(
                           "elu", [alpha](auto& x) { return tg::elu(x, alpha); },
                           [alpha](double v) { return v > 0 ? v : alpha * std::expm1(v); },
                           [alpha](double v) { return v > 0 ? 1.0 : alpha * std::exp(v); },
                           away_from({0}, -3, 3))
                           .variant(std::move(variant)));
    };
    elu("", 1);  // the default alpha
    elu("alpha_0_5", 0.5);
    elu("alpha_0_3", 0.3);
    rows.push_back(unary(
        "softsign", [](auto& x) { return tg::softsign(x); },
        [](double v) { return v / (1 + std::abs(v)); },
        [](double v) { return 1 / ((1 + std::abs(v)) * (1 + std::abs(v))); },
        away_from({0}, -4, 4)));

    std::vector<Sample> softmax, log_softmax;
    const Shape cube = {2, 3, 4};
    for (long axis : {0L, 1L, -1L}) {
        const std::string a = axis < 0 ? "minus" + std::to_string(-axis) : std::to_string(axis);
        softmax.push_back(one("axis_" + a, {3, 4}, any_value(-3, 3),
                              [axis](const T& x) { return tg::softmax(x, axis); }));
        log_softmax.push_back(one("axis_" + a, {3, 4}, any_value(-3, 3),
                                  [axis](const T& x) { return tg::log_softmax(x, axis); }));
    }
    softmax.push_back(
        one("3d_axis_1", cube, any_value(-3, 3), [](const T& x) { return tg::softmax(x, 1); }));
    softmax.push_back(one("1d", {5}, any_value(-3, 3), [](const T& x) { return tg::softmax(x); }));
    log_softmax.push_back(
        one("3d_axis_1", cube, any_value(-3, 3), [](const T& x) { return tg::log_softmax(x, 1); }));
    log_softmax.push_back(
        one("1d", {5}, any_value(-3, 3), [](const T& x) { return tg::log_softmax(x); }));
    // Gradients through a chain of different ops.
    log_softmax.push_back({"of_tanh_of_linear", {{3, 4}, {2, 4}, {2}}, {any_value()}, [](V in) {
                               return tg::mean(
                                   tg::log_softmax(tg::tanh(tg::linear(in[0], in[1], in[2])), 1));
                           }});
    rows.push_back(general("softmax", softmax));
    // Over an axis of one element softmax is 1: its gradient is 0 and its square flat.
    rows.push_back(general("softmax", {one("", {3, 1}, any_value(-3, 3),
                                           [](const T& x) { return tg::softmax(x, 1); })})
                       .variant("single_element_axis")
                       .second_order(times_square_of_input));
    rows.push_back(general("log_softmax", log_softmax));
}

void add_selection(std::vector<Row>& rows) {
    const T cond(xt::xarray<double>{{1, 0, 1}, {0, 1, 1}});
    std::vector<Sample> where;
    for (const auto& [sa, sb] : std::vector<std::pair<Shape, Shape>>{{{2, 3}, {2, 3}},
                                                                     {{2, 3}, {3}},
                                                                     {{3}, {2, 3}},
                                                                     {{2, 1}, {1, 3}},
                                                                     {{}, {2, 3}},
                                                                     {{2, 3}, {}}})
        where.push_back(
            {shape_name(sa) + "_" + shape_name(sb), {sa, sb}, {any_value()}, [cond](V x) {
                 return tg::where(cond, x[0], x[1]);
             }});
    rows.push_back(general("where", where));
    rows.push_back(
        general("masked_fill", {one("2x3", {2, 3}, any_value(),
                                    [cond](const T& x) { return tg::masked_fill(x, cond, 2.0); })})
            .recorded("where"));
    const auto compare = [&rows](std::string name, std::function<T(const T&, const T&)> f) {
        rows.push_back(not_differentiable(
            std::move(name),
            {{"", {{3, 4}, {4}}, {any_value()}, [f](V x) { return f(x[0], x[1]); }}}));
    };
    compare("gt", [](const T& a, const T& b) { return tg::gt(a, b); });
    compare("lt", [](const T& a, const T& b) { return tg::lt(a, b); });
    compare("ge", [](const T& a, const T& b) { return tg::ge(a, b); });
    compare("le", [](const T& a, const T& b) { return tg::le(a, b); });
    compare("eq", [](const T& a, const T& b) { return tg::eq(a, b); });
    compare("ne", [](const T& a, const T& b) { return tg::ne(a, b); });
}

void add_reductions(std::vector<Row>& rows) {
    const Shape cube = {2, 3, 4};
    std::vector<Sample> sum, mean, max;
    sum.push_back(one("all", {3, 4}, any_value(), [](const T& x) { return tg::sum(x); }));
    sum.push_back(one("all_0d", {}, any_value(), [](const T& x) { return tg::sum(x); }));
    sum.push_back(one("all_3d", cube, any_value(), [](const T& x) { return tg::sum(x); }));
    mean.push_back(one("all", {3, 4}, any_value(), [](const T& x) { return tg::mean(x); }));
    mean.push_back(one("all_3d", cube, any_value(), [](const T& x) { return tg::mean(x); }));
    const std::vector<std::pair<std::string, Axes>> axes_2d = {
        {"0", {0}},       {"1", {1}},      {"minus1", {-1}},
        {"minus2", {-2}}, {"0_1", {0, 1}}, {"minus1_0", {-1, 0}}};
    const std::vector<std::pair<std::string, Axes>> axes_3d = {
        {"1", {1}}, {"0_2", {0, 2}}, {"minus1_0", {-1, 0}}, {"0_1_2", {0, 1, 2}}};
    for (bool keep : {false, true}) {
        const std::string k = keep ? "_keepdims" : "";
        for (const auto& [label, axes] : axes_2d) {
            sum.push_back(one("axes_" + label + k, {3, 4}, any_value(),
                              [axes = axes, keep](const T& x) { return tg::sum(x, axes, keep); }));
            mean.push_back(
                one("axes_" + label + k, {3, 4}, any_value(),
                    [axes = axes, keep](const T& x) { return tg::mean(x, axes, keep); }));
        }
        for (const auto& [label, axes] : axes_3d) {
            sum.push_back(one("3d_axes_" + label + k, cube, any_value(),
                              [axes = axes, keep](const T& x) { return tg::sum(x, axes, keep); }));
            mean.push_back(
                one("3d_axes_" + label + k, cube, any_value(),
                    [axes = axes, keep](const T& x) { return tg::mean(x, axes, keep); }));
        }
        for (long axis : {0L, 1L, -1L}) {
            const std::string a = axis < 0 ? "minus" + std::to_string(-axis) : std::to_string(axis);
            max.push_back(one("axis_" + a + k, {3, 4}, distinct(),
                              [axis, keep](const T& x) { return tg::max(x, axis, keep); }));
        }
        max.push_back(one("3d_axis_1" + k, cube, distinct(),
                          [keep](const T& x) { return tg::max(x, 1, keep); }));
        max.push_back(one("1d_axis_0" + k, {5}, distinct(),
                          [keep](const T& x) { return tg::max(x, 0, keep); }));
    }
    rows.push_back(general("sum", sum));
    rows.push_back(general("mean", mean).recorded("sum"));  // then a mul by 1/n
    rows.push_back(general("max", max));
    // Over every element (distinct values: the tie rule is tests/ops/max_all_test.cpp's).
    rows.push_back(
        general("max", {one("all", {3, 4}, distinct(), [](const T& x) { return tg::max(x); }),
                        one("all_3d", cube, distinct(), [](const T& x) { return tg::max(x); }),
                        one("all_0d", {}, distinct(), [](const T& x) { return tg::max(x); })})
            .variant("all"));

    // Values away from 0 (abs's kink in norm) and with no two magnitudes tied.
    const Domain away = signed_magnitudes(0.3, 1.5);
    rows.push_back(
        general("min", {one("axis_1", {3, 4}, away, [](const T& x) { return tg::min(x, 1); })})
            .recorded("max"));  // −max(−x)
    rows.push_back(
        general("min", {one("all", {3, 4}, distinct(), [](const T& x) { return tg::min(x); })})
            .variant("all")
            .recorded("max"));  // −max(−x)
    rows.push_back(not_differentiable("argmax", {one("axis_1", {3, 4}, any_value(), [](const T& x) {
                                          return tg::to_floating<double>(tg::argmax(x, 1));
                                      })}));
    rows.push_back(not_differentiable("argmin", {one("axis_0", {3, 4}, any_value(), [](const T& x) {
                                          return tg::to_floating<double>(tg::argmin(x, 0));
                                      })}));
    // Over every element (torch.argmax(x)): the flattened position, 0-d.
    rows.push_back(
        not_differentiable("argmax",
                           {one("all", {3, 4}, any_value(),
                                [](const T& x) { return tg::to_floating<double>(tg::argmax(x)); })})
            .variant("all"));
    rows.push_back(
        not_differentiable("argmin",
                           {one("all", {2, 3, 2}, any_value(),
                                [](const T& x) { return tg::to_floating<double>(tg::argmin(x)); })})
            .variant("all"));
    // Index tensors in and out: whole numbers (the 0/1 of gt) to int64 and back.
    rows.push_back(not_differentiable("to_int64", {one("", {3, 4}, any_value(), [](const T& x) {
                                          return tg::to_floating<double>(
                                              tg::to_int64(tg::gt(x, T(0.0))));
                                      })}));
    rows.push_back(not_differentiable("to_floating", {one("", {3, 4}, any_value(), [](const T& x) {
                                          return tg::to_floating<double>(tg::argmax(x, 0, true));
                                      })}));
    rows.push_back(general("logsumexp", {one("axis_minus1", {3, 4}, away,
                                             [](const T& x) { return tg::logsumexp(x, {-1}); }),
                                         one("axes_0_2_keepdims", {2, 3, 2}, away,
                                             [](const T& x) {
                                                 return tg::logsumexp(x, {0, 2}, true);
                                             })})
                       .composite());
    rows.push_back(
        general("var", {one("axis_1", {3, 4}, away, [](const T& x) { return tg::var(x, {1}); })})
            .composite());
    rows.push_back(general("std", {one("axis_0_correction_0", {3, 4}, away,
                                       [](const T& x) { return tg::std(x, {0}, 0); })})
                       .composite());
    rows.push_back(
        general("prod", {one("axis_1", {3, 5}, away, [](const T& x) { return tg::prod(x, 1); })})
            .composite());
    rows.push_back(general(
        "cumsum", {one("axis_0", {3, 4}, away, [](const T& x) { return tg::cumsum(x, 0); })}));
    rows.push_back(
        general("norm", {one("1", {3, 4}, away, [](const T& x) { return tg::norm(x, 1); }),
                         one("2", {3, 4}, away, [](const T& x) { return tg::norm(x); }),
                         one("inf", {3, 4}, away,
                             [](const T& x) {
                                 return tg::norm(x, std::numeric_limits<double>::infinity());
                             }),
                         one("2_axes_keepdim", {2, 3, 4}, away,
                             [](const T& x) { return tg::norm(x, 2, {0, 2}, true); })})
            .composite());
    rows.push_back(
        general("vector_norm",
                {one("1_axis", {3, 4}, away, [](const T& x) { return tg::vector_norm(x, 1, {1}); }),
                 one("3_axes", {2, 3, 4}, away,
                     [](const T& x) { return tg::vector_norm(x, 3, {0, -1}, true); }),
                 one("inf_two_axes", {2, 3, 2}, away,
                     [](const T& x) {
                         return tg::vector_norm(x, std::numeric_limits<double>::infinity(), {1, 2});
                     }),
                 one("minus_inf_axis", {3, 4}, away,
                     [](const T& x) {
                         return tg::vector_norm(x, -std::numeric_limits<double>::infinity(), {0});
                     })})
            .composite());
}

void add_shape(std::vector<Row>& rows) {
    const Shape cube = {2, 3, 4};
    const Domain any = any_value();
    rows.push_back(general(
        "reshape", {one("2x6", {3, 4}, any,
                        [](const T& x) {
                            return tg::reshape(x, {2, 6});
                        }),
                    one("flat", {3, 4}, any, [](const T& x) { return tg::reshape(x, {12}); }),
                    one("0d_to_1x1", {}, any,
                        [](const T& x) {
                            return tg::reshape(x, {1, 1});
                        }),
                    // Axes a transpose keeps apart merged: a contiguous() copy, then a view.
                    one("of_a_transpose", {4, 3}, any, [](const T& x) {
                        return tg::reshape(tg::transpose(x), {12});
                    })}));
    rows.push_back(general("view", {one("2x6", {3, 4}, any,
                                        [](const T& x) {
                                            return tg::view(x, {2, 6});
                                        }),
                                    one("of_a_narrow", {4, 3}, any,
                                        [](const T& x) {
                                            return tg::view(tg::narrow(x, 0, 1, 2), {6});
                                        }),
                                    // A strided view restrided: its axis 1 split in two.
                                    one("of_a_transpose", {4, 3}, any, [](const T& x) {
                                        return tg::view(tg::transpose(x), {3, 2, 2});
                                    })}));
    rows.push_back(
        general("transpose", {one("2d", {3, 4}, any, [](const T& x) { return tg::transpose(x); }),
                              one("3d", cube, any, [](const T& x) { return tg::transpose(x); })})
            .recorded("permute"));
    rows.push_back(
        general("permute", {one("1_2_0", cube, any,
                                [](const T& x) {
                                    return tg::permute(x, {1, 2, 0});
                                }),
                            one("2_0_1", cube, any,
                                [](const T& x) {
                                    return tg::permute(x, {2, 0, 1});
                                }),
                            one("identity", {3, 4}, any,
                                [](const T& x) {
                                    return tg::permute(x, {0, 1});
                                }),
                            // Keeps the last axis: the row-copy path (conv2d's NCHW <-> CNHW).
                            one("rows_2_0_1_3", {2, 3, 2, 3}, any, [](const T& x) {
                                return tg::permute(x, {2, 0, 1, 3});
                            })}));
    rows.push_back(general("broadcast_to", {one("4_to_3x4", {4}, any,
                                                [](const T& x) {
                                                    return tg::broadcast_to(x, {3, 4});
                                                }),
                                            one("3x1_to_2x3x4", {3, 1}, any,
                                                [](const T& x) {
                                                    return tg::broadcast_to(x, {2, 3, 4});
                                                }),
                                            one("0d_to_3x4", {}, any,
                                                [](const T& x) {
                                                    return tg::broadcast_to(x, {3, 4});
                                                }),
                                            one("1x4_to_3x4", {1, 4}, any, [](const T& x) {
                                                return tg::broadcast_to(x, {3, 4});
                                            })}));
    rows.push_back(
        general("sum_to", {one("4", {3, 4}, any, [](const T& x) { return tg::sum_to(x, {4}); }),
                           one("3x1", {3, 4}, any,
                               [](const T& x) {
                                   return tg::sum_to(x, {3, 1});
                               }),
                           one("1x4", cube, any,
                               [](const T& x) {
                                   return tg::sum_to(x, {1, 4});
                               }),
                           one("0d", {3, 4}, any, [](const T& x) { return tg::sum_to(x, {}); })}));
    rows.push_back(
        general("concat",
                {{"axis_0", {{2, 4}, {3, 4}}, {any}, [](V x) { return tg::concat(x, 0); }},
                 {"axis_1_three_inputs",
                  {{3, 2}, {3, 4}, {3, 1}},
                  {any},
                  [](V x) { return tg::concat(x, 1); }},
                 {"axis_minus1", {{3, 2}, {3, 3}}, {any}, [](V x) { return tg::concat(x, -1); }},
                 {"3d_axis_1", {{2, 1, 3}, {2, 2, 3}}, {any}, [](V x) { return tg::concat(x, 1); }},
                 {"1d", {{2}, {3}}, {any}, [](V x) { return tg::concat(x, 0); }},
                 one("same_input_twice", {3, 4}, any, [](const T& x) {
                     return tg::concat(std::vector<T>{x, x}, 1);
                 })}));
    rows.push_back(general(
        "narrow",
        {one("axis_0", {4, 3}, any, [](const T& x) { return tg::narrow(x, 0, 1, 2); }),
         one("axis_minus1", {3, 5}, any, [](const T& x) { return tg::narrow(x, -1, 2, 3); }),
         one("3d_axis_1", cube, any, [](const T& x) { return tg::narrow(x, 1, 1, 1); })}));
    rows.push_back(general(
        "diagonal",
        {one("main", {3, 4}, any, [](const T& x) { return tg::diagonal(x); }),
         one("offset_1", {3, 4}, any, [](const T& x) { return tg::diagonal(x, 1); }),
         one("3d_offset_minus1_axes_2_0", cube, any,
             [](const T& x) { return tg::diagonal(x, -1, 2, 0); })}));
    rows.push_back(general("rows", {one("repeated", {4, 3}, any,
                                        [](const T& x) {
                                            return tg::rows(x, {2, 0, 2, 3, 2});
                                        }),
                                    one("1d", {5}, any,
                                        [](const T& x) {
                                            return tg::rows(x, {4, 4, 1});
                                        }),
                                    one("3d", cube, any, [](const T& x) {
                                        return tg::rows(x, {1, 1, 0});
                                    })}));
    rows.push_back(
        general("index_add_rows", {one("repeated", {5, 3}, any,
                                       [](const T& x) {
                                           return tg::index_add_rows(x, {1, 0, 1, 3, 1}, 4);
                                       }),
                                   one("1d", {3}, any, [](const T& x) {
                                       return tg::index_add_rows(x, {2, 2, 0}, 4);
                                   })}));

    const T index(xt::xarray<double>{{2, 0}, {1, 1}, {0, 2}});
    rows.push_back(general(
        "slice", {one("", {3, 5}, any, [](const T& x) { return tg::slice(x, 1, 1, kEnd, 2); })}));
    rows.push_back(
        general("select",
                {one("", {3, 4}, any, [](const T& x) { return tg::select(x, -1, 1); }),
                 one("axis_0_view", {3, 4}, any, [](const T& x) { return tg::select(x, 0, 1); })}));
    rows.push_back(general("index_select", {one("", {3, 4}, any, [](const T& x) {
                               return tg::index_select(x, 0, {2, 0, 2});
                           })}));
    rows.push_back(general(
        "gather", {one("", {3, 3}, any, [index](const T& x) { return tg::gather(x, 1, index); })}));
    rows.push_back(general("scatter_add", {{"", {{3, 4}, {3, 2}}, {any}, [index](V x) {
                                                return tg::scatter_add(x[0], 1, index, x[1]);
                                            }}}));
    rows.push_back(general("stack", {{"",
                                      {{2, 3}, {2, 3}},
                                      {any},
                                      [](V x) {
                                          return tg::stack({x[0], x[1]}, 1);
                                      }}})
                       .recorded("concat"));
    rows.push_back(general("split", {one("", {4, 3}, any,
                                         [](const T& x) {
                                             return tg::split(x, {1, 3}, 0)[1];
                                         })})
                       .recorded("narrow"));
    rows.push_back(
        general("chunk", {one("", {2, 5}, any, [](const T& x) { return tg::chunk(x, 2, -1)[1]; })})
            .recorded("narrow"));
    rows.push_back(
        general("squeeze", {one("", {1, 3, 1}, any, [](const T& x) { return tg::squeeze(x); })})
            .recorded("reshape"));
    rows.push_back(
        general("unsqueeze", {one("", {3}, any, [](const T& x) { return tg::unsqueeze(x, 0); })})
            .recorded("reshape"));
    rows.push_back(
        general("flatten", {one("", {2, 2, 2}, any, [](const T& x) { return tg::flatten(x, 1); })})
            .recorded("reshape"));
    rows.push_back(general("pad", {one("", {2, 3}, any, [](const T& x) {
                               return tg::pad(x, {{1, 1}, {0, 2}}, 0.5);
                           })}));
    rows.push_back(general("flip", {one("", {2, 3}, any, [](const T& x) {
                               return tg::flip(x, {0, 1});
                           })}));
    rows.push_back(general("repeat", {one("", {2, 2}, any, [](const T& x) {
                               return tg::repeat(x, {2, 1, 2});
                           })}));
    rows.push_back(general("tile", {one("", {3}, any,
                                        [](const T& x) {
                                            return tg::tile(x, {2, 2});
                                        })})
                       .recorded("repeat"));
    rows.push_back(
        general("tril", {one("", {2, 3, 3}, any, [](const T& x) { return tg::tril(x, 0); })}));
    rows.push_back(
        general("triu", {one("", {3, 4}, any, [](const T& x) { return tg::triu(x, 1); })}));
}

void add_products(std::vector<Row>& rows) {
    const Domain any = any_value();
    const auto matmul = [](V x) { return tg::matmul(x[0], x[1]); };
    std::vector<Sample> mm = {
        {"2d", {{3, 4}, {4, 2}}, {any}, matmul},
        {"batched_3d_2d", {{2, 3, 4}, {4, 2}}, {any}, matmul},
        one("same_input_twice", {3, 4}, any,
            [](const T& x) { return tg::matmul(x, tg::transpose(x)); }),
    };
    // Every rank combination numpy allows, (n, k, m) = (2, 3, 4) in the matrix axes.
    const std::vector<std::pair<std::string, std::pair<Shape, Shape>>> ranks = {
        {"1d_1d", {{3}, {3}}},
        {"1d_2d", {{3}, {3, 4}}},
        {"2d_1d", {{2, 3}, {3}}},
        {"2d_2d", {{2, 3}, {3, 4}}},
        {"3d_2d", {{2, 2, 3}, {3, 4}}},
        {"4d_2d", {{2, 3, 2, 3}, {3, 4}}},
        {"3d_1d", {{2, 2, 3}, {3}}},
        {"1d_3d", {{3}, {2, 3, 4}}},
        {"1d_4d", {{3}, {2, 3, 3, 4}}},
        {"3d_3d", {{3, 2, 3}, {3, 3, 4}}},
        {"2d_3d", {{2, 3}, {3, 3, 4}}},
        {"1xpq_3d", {{1, 2, 3}, {3, 3, 4}}},
        {"3d_1xqr", {{3, 2, 3}, {1, 3, 4}}},
        {"a1pq_3d", {{2, 1, 2, 3}, {3, 3, 4}}},
        {"3d_a1qr", {{3, 2, 3}, {2, 1, 3, 4}}},
        {"a1pq_1bqr", {{2, 1, 2, 3}, {1, 3, 3, 4}}},
        {"4d_4d", {{2, 3, 2, 3}, {2, 3, 3, 4}}},
        {"4d_3d", {{2, 3, 2, 3}, {3, 3, 4}}},
    };
    for (const auto& [label, shapes] : ranks)
        mm.push_back({"ranks_" + label, {shapes.first, shapes.second}, {any}, matmul});
    rows.push_back(general("matmul", mm));
    rows.push_back(
        general("dot", {{"", {{3}, {3}}, {any}, [](V x) { return tg::dot(x[0], x[1]); }}}));
    rows.push_back(
        general("outer", {{"", {{3}, {4}}, {any}, [](V x) { return tg::outer(x[0], x[1]); }}}));

    std::vector<Sample> gemm;
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            const std::string flags = std::string(ta ? "T" : "N") + (tb ? "T" : "N");
            const auto product = [ta, tb](V x) { return tg::gemm(x[0], x[1], ta, tb); };
            // op(a) is (3, 4) and op(b) is (4, 2).
            gemm.push_back({flags,
                            {ta ? Shape{4, 3} : Shape{3, 4}, tb ? Shape{2, 4} : Shape{4, 2}},
                            {any},
                            product});
            // A row and an outer product above 16 multiply-adds (the SIMD kernel), and a
            // product of 8 (the plain loops).
            gemm.push_back({"row_" + flags,
                            {ta ? Shape{6, 1} : Shape{1, 6}, tb ? Shape{3, 6} : Shape{6, 3}},
                            {any},
                            product});
            gemm.push_back({"outer_" + flags,
                            {ta ? Shape{1, 6} : Shape{6, 1}, tb ? Shape{3, 1} : Shape{1, 3}},
                            {any},
                            product});
            gemm.push_back({"tiny_" + flags, {{2, 2}, {2, 2}}, {any}, product});
        }
    rows.push_back(general("gemm", gemm));
    const auto linear = [](V x) { return tg::linear(x[0], x[1], x[2]); };
    rows.push_back(general("linear", {{"", {{3, 4}, {2, 4}, {2}}, {any}, linear},
                                      {"row", {{1, 6}, {3, 6}, {3}}, {any}, linear},
                                      {"3d", {{2, 3, 4}, {5, 4}, {5}}, {any}, linear},
                                      {"1d", {{4}, {3, 4}, {3}}, {any}, linear},
                                      {"3d_no_bias", {{2, 3, 4}, {5, 4}}, {any}, [](V x) {
                                           return tg::linear(x[0], x[1]);
                                       }}}));
}

void add_attention(std::vector<Row>& rows) {
    // Plain, batched with a scale, masked (a constant additive mask with −inf entries,
    // never a whole row) and causal, and several heads side by side.
    const Domain any = any_value();
    const double inf = std::numeric_limits<double>::infinity();
    const T mask(
        xt::xarray<double>{{0.0, -inf, 0.5, 0.0}, {-0.3, 0.0, -inf, 0.2}, {0.0, 0.0, 0.0, -inf}});
    const T bias(xt::xarray<double>{
        {0.0, -0.5, -1.0, 0.7}, {-0.5, 0.0, -0.5, -1.0}, {-1.0, -0.5, 0.0, 0.2}});
    const T keep(xt::xarray<double>{{1, 0, 1, 1}, {1, 1, 0, 1}, {0, 1, 1, 1}});
    rows.push_back(general(
        "scaled_dot_product_attention",
        {{"",
          {{2, 3, 4}, {2, 5, 4}, {2, 5, 2}},
          {any},
          [](V x) { return tg::scaled_dot_product_attention(x[0], x[1], x[2]); }},
         {"4d_scale",
          {{2, 2, 3, 2}, {2, 2, 3, 2}, {2, 2, 3, 3}},
          {any},
          [](V x) { return tg::scaled_dot_product_attention(x[0], x[1], x[2], T(), false, 0.7); }},
         {"mask_causal", {{2, 3, 2}, {2, 4, 2}, {2, 4, 3}}, {any}, [mask](V x) {
              return tg::scaled_dot_product_attention(x[0], x[1], x[2], mask, true);
          }},
         // An additive float mask of biases (ALiBi's −slope·|i − j| plus a constant, no
         // −inf) and PyTorch's boolean masks; the masks are constants (no gradient).
         {"additive_bias", {{2, 3, 2}, {2, 4, 2}, {2, 4, 3}}, {any}, [bias](V x) {
              return tg::scaled_dot_product_attention(x[0], x[1], x[2], bias);
          }},
         {"allow_mask", {{2, 3, 2}, {2, 4, 2}, {2, 4, 3}}, {any}, [keep](V x) {
              return tg::scaled_dot_product_attention(x[0], x[1], x[2],
                                                      {keep, tg::MaskKind::allow});
          }}}));
    rows.push_back(general("scaled_dot_product_attention_heads",
                           {{"",
                             {{2, 3, 4}, {2, 4, 4}, {2, 4, 6}},
                             {any},
                             [mask](V x) {
                                 return tg::scaled_dot_product_attention_heads(
                                     x[0], x[1], x[2], 2, tg::reshape(mask, {1, 1, 3, 4}));
                             }},
                            {"block_mask_bias",
                             {{2, 3, 4}, {2, 4, 4}, {2, 4, 6}},
                             {any},
                             [keep, bias](V x) {
                                 return tg::scaled_dot_product_attention_heads(
                                            x[0], x[1], x[2], 2, {1.0 - keep, tg::MaskKind::block}) +
                                        tg::scaled_dot_product_attention_heads(
                                            x[0], x[1], x[2], 2, tg::reshape(bias, {1, 1, 3, 4}));
                             }},
                            {"causal", {{2, 3, 6}, {2, 3, 6}, {2, 3, 3}}, {any}, [](V x) {
                                 return tg::scaled_dot_product_attention_heads(x[0], x[1], x[2], 3,
                                                                               T(), true);
                             }}}));
}

void add_conv_and_pool(std::vector<Row>& rows) {
    const Domain any = any_value();
    rows.push_back(
        general("conv1d", {{"",
                            {{2, 2, 7}, {4, 1, 3}, {4}},
                            {any},
                            [](V x) { return tg::conv1d(x[0], x[1], x[2], 2, 1, 1, 2); }},
                           {"same_even_kernel_reflect",
                            {{2, 2, 6}, {3, 2, 4}, {3}},
                            {any},
                            [](V x) {
                                return tg::conv1d(x[0], x[1], x[2], 1, "same", 1, 1,
                                                  tg::PaddingMode::reflect);
                            }},
                           {"circular",
                            {{1, 2, 5}, {2, 2, 3}},
                            {any},
                            [](V x) {
                                return tg::conv1d(x[0], x[1], {}, 2, 2, 1, 1,
                                                  tg::PaddingMode::circular);
                            }}})
            .recorded("im2col"));
    rows.push_back(general("conv2d", {{"",
                                       {{2, 2, 5, 4}, {3, 2, 3, 2}, {3}},
                                       {any},
                                       [](V x) {
                                           return tg::conv2d(x[0], x[1], x[2], {2, 1}, 1, 1, 1);
                                       }},
                                      {"groups_dilation",
                                       {{1, 4, 6, 5}, {2, 2, 2, 2}},
                                       {any},
                                       [](V x) {
                                           return tg::conv2d(x[0], x[1], {}, 1, {0, 1}, 2, 2);
                                       }},
                                      {"same_even_kernel",
                                       {{1, 2, 4, 5}, {2, 2, 2, 4}, {2}},
                                       {any},
                                       [](V x) { return tg::conv2d(x[0], x[1], x[2], 1, "same"); }},
                                      {"replicate",
                                       {{1, 2, 4, 3}, {2, 2, 3, 2}},
                                       {any},
                                       [](V x) {
                                           return tg::conv2d(x[0], x[1], {}, {2, 1}, {2, 1}, 1, 1,
                                                             tg::PaddingMode::replicate);
                                       }}})
                       .recorded("im2col"));
    rows.push_back(
        general("conv_transpose2d",
                {{"",
                  {{2, 2, 3, 3}, {2, 2, 3, 2}, {4}},
                  {any},
                  [](V x) { return tg::conv_transpose2d(x[0], x[1], x[2], 2, 1, 1, 2, 1); }},
                 {"dilation",
                  {{1, 2, 3, 2}, {2, 1, 2, 2}},
                  {any},
                  [](V x) {
                      return tg::conv_transpose2d(x[0], x[1], {}, {1, 2}, 0, {1, 0}, 1, {2, 1});
                  }}})
            .recorded("col2im"));
    // Pooling on values without ties.
    const Domain grid = distinct();
    rows.push_back(
        general("max_pool2d", {one("", {2, 2, 5, 6}, grid,
                                   [](const T& x) {
                                       return tg::max_pool2d(x, {3, 2}, {2, 1}, 1);
                                   }),
                               one("dilation", {1, 2, 6, 5}, grid,
                                   [](const T& x) { return tg::max_pool2d(x, 2, 1, 0, 2); }),
                               one("ceil_mode", {1, 2, 6, 5}, grid,
                                   [](const T& x) {
                                       return tg::max_pool2d(x, {3, 2}, 2, 1, 1, true);
                                   })})
            .recorded("im2col"));
    rows.push_back(general("max_pool2d_with_indices",
                           {one("", {1, 2, 5, 6}, grid,
                                [](const T& x) {
                                    return tg::max_pool2d_with_indices(x, 2, 2, 0, 1, true).first;
                                })})
                       .recorded("im2col"));
    rows.push_back(general("max_pool1d_with_indices",
                           {one("", {2, 2, 7}, grid,
                                [](const T& x) {
                                    return tg::max_pool1d_with_indices(x, 2, 2, 1, 1, true).first;
                                })})
                       .recorded("im2col"));
    // Unpooling with the indices of a fixed pooling (constants): of a (4, 6) plane, and of
    // overlapping windows, whose shared maxima add up.
    const T wave = tg::sin(tg::reshape(tg::arange(0.0, 48.0), {1, 2, 4, 6}) * 1.7);
    const tg::Tensor<std::int64_t> plain = tg::max_pool2d_with_indices(wave, 2).second;
    const tg::Tensor<std::int64_t> overlapping = tg::max_pool2d_with_indices(wave, 3, 1).second;
    rows.push_back(general("max_unpool2d",
                           {one("", {1, 2, 2, 3}, any_value(),
                                [plain](const T& x) { return tg::max_unpool2d(x, plain, 2); }),
                            one("overlapping", {1, 2, 2, 4}, any_value(),
                                [overlapping](const T& x) {
                                    return tg::max_unpool2d(x, overlapping, 3, 1);
                                })})
                       .recorded("scatter_add"));
    const tg::Tensor<std::int64_t> line =
        tg::max_pool1d_with_indices(tg::reshape(wave, {2, 2, 12}), 3, 2, 1).second;
    rows.push_back(general("max_unpool1d",
                           {one("", {2, 2, 6}, any_value(),
                                [line](const T& x) {
                                    return tg::max_unpool1d(x, line, 3, 2, 1, 12);
                                })})
                       .recorded("scatter_add"));
    rows.push_back(
        general("max_pool1d",
                {one("", {2, 2, 7}, grid, [](const T& x) { return tg::max_pool1d(x, 3, 2, 1); }),
                 one("ceil_mode", {2, 2, 8}, grid,
                     [](const T& x) { return tg::max_pool1d(x, 3, 2, 1, 1, true); })})
            .recorded("im2col"));
    rows.push_back(
        general("avg_pool2d",
                {one("", {2, 2, 5, 4}, grid, [](const T& x) { return tg::avg_pool2d(x, 3, 2, 1); }),
                 one("inside", {1, 2, 5, 5}, grid,
                     [](const T& x) { return tg::avg_pool2d(x, 2, 2, 1, false, false); }),
                 one("ceil_mode_divisor_override", {1, 2, 5, 6}, grid,
                     [](const T& x) { return tg::avg_pool2d(x, {3, 2}, 2, 1, true, true, 5); }),
                 one("ceil_mode_inside", {1, 2, 6, 5}, grid,
                     [](const T& x) { return tg::avg_pool2d(x, 3, 2, 1, true, false); })})
            .recorded("im2col"));
    rows.push_back(general("avg_pool1d", {one("", {2, 3, 6}, grid,
                                              [](const T& x) { return tg::avg_pool1d(x, 2); }),
                                          one("ceil_mode", {2, 3, 8}, grid, [](const T& x) {
                                              return tg::avg_pool1d(x, 3, 2, 1, true);
                                          })})
                       .recorded("im2col"));
    rows.push_back(general("adaptive_avg_pool2d",
                           {one("", {2, 2, 5, 7}, grid,
                                [](const T& x) {
                                    return tg::adaptive_avg_pool2d(x, {3, 4});
                                }),
                            one("1x1", {2, 3, 3, 4}, grid,
                                [](const T& x) { return tg::adaptive_avg_pool2d(x, 1); })})
                       .composite());
}

void add_normalization(std::vector<Row>& rows) {
    const Domain any = any_value();
    rows.push_back(general(
        "layer_norm", {{"affine",
                        {{3, 4}, {4}, {4}},
                        {any},
                        [](V x) { return tg::layer_norm(x[0], {4}, x[1], x[2]); }},
                       {"two_axes",
                        {{2, 3, 4}, {3, 4}, {3, 4}},
                        {any},
                        [](V x) {
                            return tg::layer_norm(x[0], {3, 4}, x[1], x[2]);
                        }},
                       one("plain", {3, 5}, any, [](const T& x) { return tg::layer_norm(x, {5}); }),
                       {"weight_only", {{2, 4}, {4}}, {any}, [](V x) {
                            return tg::layer_norm(x[0], {4}, x[1], T(), 0.1);
                        }}}));
    const auto training = [](V x) { return tg::batch_norm(x[0], T(), T(), x[1], x[2], true); };
    rows.push_back(
        general("batch_norm",
                {{"nc", {{5, 3}, {3}, {3}}, {any}, training},
                 {"ncl", {{3, 2, 4}, {2}, {2}}, {any}, training},
                 {"nchw", {{2, 3, 2, 2}, {3}, {3}}, {any}, training},
                 one("plain_with_running_stats", {4, 2, 3}, any,
                     [](const T& x) {
                         const T rm = tg::zeros({2}), rv = tg::ones({2});
                         return tg::batch_norm(x, rm, rv, T(), T(), true, 0.1, 1e-3);
                     }),
                 // Eval mode: gradients for x, the running statistics (as plain inputs, the
                 // variance positive), the weight and the bias.
                 {"eval",
                  {{3, 2, 4}, {2}, {2}, {2}, {2}},
                  {any, any, positive(), any, any},
                  [](V x) { return tg::batch_norm(x[0], x[1], x[2], x[3], x[4], false); }}})
            .composite());
    // The mask fixed by seeding the generator afresh on every call.
    rows.push_back(general("dropout", {one("", {4, 6}, any_value(0.5, 1.5),
                                           [](const T& x) {
                                               nn::Rng r(11);
                                               return tg::dropout(x, 0.4, r);
                                           })})
                       .recorded("mul"));
    rows.push_back(general("scaled_squared_error", {{"", {{3, 4}, {3, 4}}, {any}, [](V x) {
                                                         return tg::scaled_squared_error(x[0], x[1],
                                                                                         0.3);
                                                     }}}));
}

void add_factories(std::vector<Row>& rows) {
    const auto made = [&rows](std::string name, std::function<T(V)> f,
                              std::vector<Shape> shapes = {}) {
        rows.push_back(
            not_differentiable(std::move(name), {{"", std::move(shapes), {any_value()}, f}}));
    };
    made("zeros", [](V) { return tg::zeros({2, 3}); });
    made("ones", [](V) { return tg::ones({2, 3}); });
    made("full", [](V) { return tg::full({2, 3}, 0.5); });
    made("zeros_like", [](V x) { return tg::zeros_like(x[0]); }, {{2, 3}});
    made("ones_like", [](V x) { return tg::ones_like(x[0]); }, {{2, 3}});
    made("full_like", [](V x) { return tg::full_like(x[0], 0.5); }, {{2, 3}});
    made("empty_like", [](V x) { return tg::empty_like(x[0]); }, {{2, 3}});
    made("from_vector", [](V) { return tg::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}); });
    made("arange", [](V) { return tg::arange(0.0, 1.0, 0.25); });
    made("linspace", [](V) { return tg::linspace(0.0, 1.0, 11); });
    made("eye", [](V) { return tg::eye(3); });
    made("rand", [](V) {
        nn::Rng rng(1);
        return tg::rand({2, 3}, rng);
    });
    made("randn", [](V) {
        nn::Rng rng(1);
        return tg::randn({2, 3}, rng);
    });
    made("rand_like", [](V x) {
        nn::Rng rng(1);
        return tg::rand_like(x[0], rng);
    }, {{2, 3}});
    made("randn_like", [](V x) {
        nn::Rng rng(1);
        return tg::randn_like(x[0], rng);
    }, {{2, 3}});
}

std::vector<OpInfo> build() {
    std::vector<Row> rows;
    add_arithmetic(rows);
    add_math(rows);
    add_trig(rows);
    add_activations(rows);
    add_selection(rows);
    add_reductions(rows);
    add_shape(rows);
    add_products(rows);
    add_attention(rows);
    add_conv_and_pool(rows);
    add_normalization(rows);
    add_factories(rows);
    std::vector<OpInfo> table;
    for (Row& r : rows) {
        if (r.info.elementwise()) add_elementwise_samples(r.info);
        if (!r.info.second_order)
            r.info.second_order = [](const Tensor<double>& y, const Inputs&) { return square(y); };
        table.push_back(std::move(r.info));
    }
    return table;
}

}  // namespace

const std::vector<OpInfo>& op_table() {
    static const std::vector<OpInfo> table = build();
    return table;
}

}  // namespace tg::test
