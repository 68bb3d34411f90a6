// tg::gradcheck and tg::gradgradcheck themselves: they pass correct derivatives and catch
// wrong ones, naming the input and element (gradgradcheck a wrong second derivative whose
// first derivative is right); `raise` throws; report() has one line per input; each
// input's largest finite difference tells a check that compared only zeros.

#include "op_test_util.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::Shape;
using tg::Tensor;
using Inputs = std::vector<Tensor<double>>;

Tensor<double> random_tensor(const Shape& shape, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    return Tensor<double>(tg::test::random_array<double>(shape, rng));
}

/// y = a ⊙ b written as a custom op whose backward is right for `a` and, for `b`, off by
/// `error` at flat element `bad_element` (no error when `error` is 0).
Tensor<double> product_with_bad_backward(const Tensor<double>& a, const Tensor<double>& b,
                                         double error, std::size_t bad_element) {
    Tensor<double> y(tg::Array<double>(a.value() * b.value()));
    tg::Array<double> offset = xt::zeros<double>(b.value().shape());
    offset.data()[bad_element] = error;
    Tensor<double> bump(std::move(offset));
    tg::record("bad_product", {a, b}, y, {a, b}, [bump](tg::BackwardContext<double>& c) {
        if (c.needs(0)) c.add(0, c.grad() * c.saved(1));
        if (c.needs(1)) c.add(1, c.grad() * c.saved(0) + bump);
    });
    return y;
}

/// The identity, with a backward that sends the gradient back in reversed element order.
/// Right for a seed of all ones (so for sum(y)), wrong for any other seed.
Tensor<double> identity_with_reversed_backward(const Tensor<double>& x) {
    Tensor<double> y(tg::Array<double>(x.value()));
    tg::record("reversed_identity", {x}, y, {}, [](tg::BackwardContext<double>& c) {
        tg::Array<double> g = c.grad().value();
        std::reverse(g.begin(), g.end());
        c.add(0, Tensor<double>(std::move(g)));
    });
    return y;
}

/// x², recorded with the backward g · x: half the derivative 2x.
Tensor<double> square_with_half_derivative(const Tensor<double>& x) {
    Tensor<double> y(tg::Array<double>(x.value() * x.value()));
    tg::record("half_derivative_square", {x}, y, {x},
               [](tg::BackwardContext<double>& c) { c.add(0, c.grad() * c.saved(0)); });
    return y;
}

/// x³, recorded with the backward 3x² g. With `planted`, the x² in it is taken by the op
/// above: its value is right, so every first derivative is, but a sweep that records
/// (create_graph) differentiates 3x² g as 3x g dx instead of 6x g dx.
Tensor<double> cube(const Tensor<double>& x, bool planted) {
    Tensor<double> y(tg::Array<double>(x.value() * x.value() * x.value()));
    tg::record("cube", {x}, y, {x}, [planted](tg::BackwardContext<double>& c) {
        const Tensor<double>& v = c.saved(0);
        c.add(0, c.grad() * (planted ? square_with_half_derivative(v) : tg::square(v)) * 3.0);
    });
    return y;
}

TEST(Gradgradcheck, CatchesAWrongSecondDerivativeWhoseFirstDerivativeIsRight) {
    const Inputs in = {random_tensor({3, 4}, 12)};
    const auto right = [](const Inputs& x) { return cube(x[0], false); };
    const auto planted = [](const Inputs& x) { return cube(x[0], true); };
    EXPECT_TRUE(tg::gradcheck(right, in).passed);
    EXPECT_TRUE(tg::gradgradcheck(right, in).passed);
    const tg::GradcheckResult first = tg::gradcheck(planted, in);
    EXPECT_TRUE(first.passed) << first.report();
    const tg::GradcheckResult second = tg::gradgradcheck(planted, in);
    ASSERT_FALSE(second.passed) << second.report();
    EXPECT_EQ(second.message.rfind("gradgradcheck failed for input #0 (shape (3, 4))", 0), 0u)
        << second.message;
    // The tape's second derivative is half the true one at every element.
    const tg::GradcheckInputReport& r = second.inputs.at(0);
    EXPECT_NEAR(r.tape_value, 0.5 * r.numeric_value, 1e-6 * std::abs(r.numeric_value))
        << second.report();
}

TEST(Gradgradcheck, LargestFiniteDifferenceTellsAFunctionWithoutSecondDerivative) {
    const Inputs in = {random_tensor({3, 4}, 13)};
    // Linear: s = <∇<f, u>, v> is constant, its finite differences exactly 0.
    const auto linear = [](const Inputs& x) { return x[0] * 3.0 - 1.0; };
    const tg::GradcheckResult flat = tg::gradgradcheck(linear, in);
    EXPECT_TRUE(flat.passed);
    EXPECT_EQ(flat.inputs.at(0).max_abs_finite_difference, 0.0);
    // Its gradient is 3 v for gradcheck's projection v in [−1, 1].
    const double slope = tg::gradcheck(linear, in).inputs.at(0).max_abs_finite_difference;
    EXPECT_GT(slope, 1.5);
    EXPECT_LE(slope, 3.0 + 1e-6);
    // Its square is not linear: second derivative 2 · 9 u v.
    const tg::GradcheckResult curved =
        tg::gradgradcheck([&](const Inputs& x) { return tg::square(linear(x)); }, in);
    EXPECT_GT(curved.inputs.at(0).max_abs_finite_difference, 1.0);
}

TEST(Gradcheck, PassesOnCorrectOps) {
    const Inputs in = {random_tensor({3, 4}, 1), random_tensor({4}, 2)};
    const tg::GradcheckResult r =
        tg::gradcheck([](const Inputs& x) { return tg::sum(tg::tanh(x[0] * x[1])); }, in);
    EXPECT_TRUE(r.passed) << r.report();
    EXPECT_TRUE(static_cast<bool>(r));
    EXPECT_EQ(r.message, "");
    ASSERT_EQ(r.inputs.size(), 2u);
    for (const auto& input : r.inputs) {
        EXPECT_TRUE(input.passed);
        EXPECT_LT(input.max_abs_error, 1e-8);
    }
    EXPECT_EQ(r.inputs[0].shape, (Shape{3, 4}));
    EXPECT_EQ(r.inputs[1].shape, (Shape{4}));
}

TEST(Gradcheck, PassesOnACorrectCustomOp) {
    const Inputs in = {random_tensor({2, 4}, 3), random_tensor({2, 4}, 4)};
    const tg::GradcheckResult r = tg::gradcheck(
        [](const Inputs& x) { return product_with_bad_backward(x[0], x[1], 0.0, 0); }, in);
    EXPECT_TRUE(r.passed) << r.report();
}

TEST(Gradcheck, FailsOnAWrongBackwardAndNamesInputAndElement) {
    const Inputs in = {random_tensor({2, 4}, 3), random_tensor({2, 4}, 4)};
    const tg::GradcheckResult r = tg::gradcheck(
        [](const Inputs& x) { return product_with_bad_backward(x[0], x[1], 1.0, 5); }, in);
    EXPECT_FALSE(r.passed);
    EXPECT_FALSE(static_cast<bool>(r));
    ASSERT_EQ(r.inputs.size(), 2u);
    EXPECT_TRUE(r.inputs[0].passed) << r.report();
    EXPECT_FALSE(r.inputs[1].passed) << r.report();
    EXPECT_EQ(r.inputs[1].worst_index, 5u);
    EXPECT_EQ(r.inputs[1].worst_position, (Shape{1, 1}));
    EXPECT_NEAR(r.inputs[1].tape_value - r.inputs[1].numeric_value, 1.0, 1e-6);
    EXPECT_NEAR(r.inputs[1].max_abs_error, 1.0, 1e-6);
    EXPECT_NE(r.message.find("input #1"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("element 5"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("(1, 1)"), std::string::npos) << r.message;
}

TEST(Gradcheck, FailsWhenAnInputGetsNoGradient) {
    // The output depends on both inputs, but the backward only feeds the first.
    auto f = [](const Inputs& x) {
        Tensor<double> y(tg::Array<double>(x[0].value() + x[1].value()));
        tg::record("forgets_b", {x[0], x[1]}, y, {},
                   [](tg::BackwardContext<double>& c) { c.add(0, c.grad()); });
        return y;
    };
    const tg::GradcheckResult r = tg::gradcheck(f, {random_tensor({3}, 5), random_tensor({3}, 6)});
    EXPECT_FALSE(r.passed);
    ASSERT_EQ(r.inputs.size(), 2u);
    EXPECT_TRUE(r.inputs[0].passed);
    EXPECT_FALSE(r.inputs[1].passed);
    EXPECT_NE(r.message.find("input #1"), std::string::npos) << r.message;
}

TEST(Gradcheck, ChecksTheWholeJacobianNotOnlyTheSum) {
    // A backward that permutes the gradient is right for sum(y), wrong for y itself:
    // the random projection must catch it.
    const Inputs in = {random_tensor({2, 3}, 7)};
    const tg::GradcheckResult through_sum = tg::gradcheck(
        [](const Inputs& x) { return tg::sum(identity_with_reversed_backward(x[0])); }, in);
    EXPECT_TRUE(through_sum.passed) << through_sum.report();
    const tg::GradcheckResult direct =
        tg::gradcheck([](const Inputs& x) { return identity_with_reversed_backward(x[0]); }, in);
    EXPECT_FALSE(direct.passed) << direct.report();
    EXPECT_NE(direct.message.find("input #0"), std::string::npos) << direct.message;
}

TEST(Gradcheck, ToleranceOptionsDecide) {
    // An error of 1e-4 on one element: within atol = 1e-3, outside atol = 1e-6, rtol = 0.
    const Inputs in = {random_tensor({2, 4}, 8), random_tensor({2, 4}, 9)};
    auto f = [](const Inputs& x) { return product_with_bad_backward(x[0], x[1], 1e-4, 2); };
    tg::GradcheckOptions loose;
    loose.atol = 1e-3;
    EXPECT_TRUE(tg::gradcheck(f, in, loose).passed);
    tg::GradcheckOptions strict;
    strict.atol = 1e-6;
    strict.rtol = 0;
    const tg::GradcheckResult r = tg::gradcheck(f, in, strict);
    EXPECT_FALSE(r.passed);
    EXPECT_NE(r.message.find("element 2"), std::string::npos) << r.message;
}

TEST(Gradcheck, RaiseThrowsTgErrorWithTheMessage) {
    const Inputs in = {random_tensor({2, 4}, 3), random_tensor({2, 4}, 4)};
    auto bad = [](const Inputs& x) { return product_with_bad_backward(x[0], x[1], 1.0, 5); };
    tg::GradcheckOptions options;
    options.raise = true;
    try {
        tg::gradcheck(bad, in, options);
        FAIL() << "gradcheck with raise did not throw on a wrong backward";
    } catch (const tg::Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("input #1"), std::string::npos) << what;
        EXPECT_NE(what.find("element 5"), std::string::npos) << what;
        EXPECT_EQ(what, tg::gradcheck(bad, in).message);
    }
    auto good = [](const Inputs& x) { return product_with_bad_backward(x[0], x[1], 0.0, 5); };
    EXPECT_NO_THROW(tg::gradcheck(good, in, options));
}

TEST(Gradcheck, ReportHasOneLinePerInput) {
    const Inputs in = {random_tensor({2, 4}, 3), random_tensor({2, 4}, 4), random_tensor({4}, 10)};
    const tg::GradcheckResult r = tg::gradcheck(
        [](const Inputs& x) { return product_with_bad_backward(x[0], x[1], 1.0, 5) + x[2]; }, in);
    ASSERT_FALSE(r.passed);
    const std::string report = r.report();
    std::istringstream lines(report);
    std::string line;
    std::vector<std::string> input_lines;
    while (std::getline(lines, line)) {
        for (std::size_t i = 0; i < in.size(); ++i)
            if (line.rfind("  " + std::to_string(i) + " ", 0) == 0) input_lines.push_back(line);
    }
    ASSERT_EQ(input_lines.size(), 3u) << report;
    EXPECT_NE(input_lines[0].find("(2, 4)"), std::string::npos) << report;
    EXPECT_EQ(input_lines[0].find("FAIL"), std::string::npos) << report;
    EXPECT_NE(input_lines[1].find("FAIL"), std::string::npos) << report;
    EXPECT_NE(input_lines[1].find("(1, 1)"), std::string::npos) << report;
    EXPECT_NE(input_lines[2].find("(4)"), std::string::npos) << report;
    EXPECT_EQ(input_lines[2].find("FAIL"), std::string::npos) << report;
    EXPECT_NE(report.find("FAILED"), std::string::npos) << report;
    EXPECT_NE(report.find(r.message), std::string::npos) << report;
}

TEST(Gradcheck, LeavesCallerInputsUntouched) {
    Tensor<double> x = random_tensor({3, 4}, 11);
    const xt::xarray<double> before = x.value();
    const std::uint64_t version = x.version();
    tg::gradcheck([](const Inputs& in) { return tg::sum(tg::exp(in[0])); }, {x});
    EXPECT_EQ(xt::xarray<double>(x.value()), before);
    EXPECT_EQ(x.version(), version);
    EXPECT_FALSE(x.requires_grad());
    EXPECT_FALSE(x.has_grad());
}

TEST(Gradcheck, UndefinedInputIsAnError) {
    EXPECT_THROW(tg::gradcheck([](const Inputs& in) { return in[0]; }, {Tensor<double>()}),
                 tg::Error);
}

}  // namespace
