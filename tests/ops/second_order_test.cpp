// create_graph, the functional helpers (vjp, jvp, jacobian, hessian, hvp) and their errors.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tapegrad/tapegrad.hpp>

namespace {

using Tensor = tg::Tensor<double>;

tg::Array<double> random_array(const tg::Shape& shape, unsigned seed, double lo = -1,
                               double hi = 1) {
    std::mt19937_64 rng(seed);
    tg::Array<double> a = tg::Array<double>::from_shape(shape);
    for (double& e : a) e = lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    return a;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const tg::Error& e) {
        return e.what();
    }
    return "(no tg::Error thrown)";
}

tg::BackwardOptions create_graph() {
    tg::BackwardOptions o;
    o.create_graph = true;
    return o;
}

TEST(Hessian, QuadraticFormIsAPlusATransposeExactly) {
    const std::size_t n = 5;
    Tensor A(random_array({n, n}, 1));
    Tensor x(random_array({n}, 2));
    // f(x) = xᵀ A x
    auto f = [&](const Tensor& v) {
        return tg::sum(tg::matmul(tg::reshape(v, {1, n}), A) * tg::reshape(v, {1, n}));
    };
    Tensor H = tg::hessian<double>(f, x);
    ASSERT_EQ(H.shape(), (tg::Shape{n, n}));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            EXPECT_EQ(H.value()(i, j), A.value()(i, j) + A.value()(j, i)) << i << "," << j;
}

TEST(Hessian, HvpAgreesWithHessianTimesVector) {
    const std::size_t n = 6;
    Tensor x(random_array({n}, 3));
    Tensor v(random_array({n}, 4));
    auto f = [](const Tensor& z) {
        return tg::sum(tg::tanh(z * z) * tg::exp(z)) + tg::sum(tg::softplus(z));
    };
    Tensor H = tg::hessian<double>(f, x);
    Tensor hv = tg::hvp<double>(f, x, v);
    for (std::size_t i = 0; i < n; ++i) {
        double expected = 0;
        for (std::size_t j = 0; j < n; ++j) expected += H.value()(i, j) * v.value()(j);
        EXPECT_NEAR(hv.value()(i), expected, 1e-12 * std::max(1.0, std::abs(expected))) << i;
    }
}

TEST(HigherOrder, ThirdDerivativeOfExpOfSquareMatchesClosedForm) {
    // f = e^(x²): f''' = (12x + 8x³) e^(x²)
    for (double x0 : {-0.7, 0.3, 1.1}) {
        tg::Tape tape;
        auto x = tg::parameter<double>(tg::Array<double>(x0));
        Tensor y = tg::exp(tg::square(x));
        Tensor d1 = tape.gradient(y, {x}, create_graph())[0];
        Tensor d2 = tape.gradient(d1, {x}, create_graph())[0];
        Tensor d3 = tape.gradient(d2, {x})[0];
        const double e = std::exp(x0 * x0);
        EXPECT_NEAR(d1.item(), 2 * x0 * e, 1e-12 * e);
        EXPECT_NEAR(d2.item(), (2 + 4 * x0 * x0) * e, 1e-12 * e);
        EXPECT_NEAR(d3.item(), (12 * x0 + 8 * x0 * x0 * x0) * e, 1e-11 * e);
    }
}

TEST(HigherOrder, ThirdDerivativeOfTanhMatchesClosedForm) {
    // tanh''' = −2 (1 − t²)(1 − 3t²)
    const double x0 = 0.4, t = std::tanh(x0);
    tg::Tape tape;
    auto x = tg::parameter<double>(tg::Array<double>(x0));
    Tensor d1 = tape.gradient(tg::tanh(x), {x}, create_graph())[0];
    Tensor d2 = tape.gradient(d1, {x}, create_graph())[0];
    Tensor d3 = tape.gradient(d2, {x})[0];
    EXPECT_NEAR(d3.item(), -2 * (1 - t * t) * (1 - 3 * t * t), 1e-12);
}

TEST(Functional, JacobianOfElementwiseProductIsDiagonal) {
    Tensor w(random_array({4}, 5));
    Tensor x(random_array({4}, 6));
    Tensor J = tg::jacobian<double>([&](const Tensor& z) { return z * w; }, x);
    ASSERT_EQ(J.shape(), (tg::Shape{4, 4}));
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(J.value()(i, j), i == j ? w.value()(i) : 0.0);
}

TEST(Functional, JvpAndVjpAgreeWithTheJacobian) {
    Tensor W(random_array({3, 4}, 7));
    Tensor x(random_array({4, 2}, 8));
    Tensor t(random_array({4, 2}, 9));
    Tensor u(random_array({3, 2}, 10));
    auto f = [&](const Tensor& z) { return tg::tanh(tg::matmul(W, z)); };
    Tensor J = tg::jacobian<double>(f, x);  // (3, 2, 4, 2)
    auto [y1, jt] = tg::jvp<double>(f, x, t);
    auto [y2, ujt] = tg::vjp<double>(f, x, u);
    EXPECT_EQ(jt.shape(), (tg::Shape{3, 2}));
    EXPECT_EQ(ujt.shape(), (tg::Shape{4, 2}));
    const double* Jd = J.value().data();
    for (std::size_t o = 0; o < 6; ++o) {
        double expected = 0;
        for (std::size_t i = 0; i < 8; ++i) expected += Jd[o * 8 + i] * t.value().data()[i];
        EXPECT_NEAR(jt.value().data()[o], expected, 1e-12);
    }
    for (std::size_t i = 0; i < 8; ++i) {
        double expected = 0;
        for (std::size_t o = 0; o < 6; ++o) expected += u.value().data()[o] * Jd[o * 8 + i];
        EXPECT_NEAR(ujt.value().data()[i], expected, 1e-12);
    }
}

TEST(CreateGraph, DoubleBackwardLoopKeepsTheTapeSizeConstant) {
    tg::Tape tape;
    auto x = tg::parameter<double>(random_array({8}, 11));
    std::size_t recorded = 0;
    for (int step = 0; step < 10000; ++step) {
        Tensor y = tg::sum(tg::tanh(x) * x);
        Tensor g = tape.gradient(y, {x}, create_graph())[0];
        Tensor penalty = tg::sum(tg::square(g));  // a gradient penalty
        if (step == 0) recorded = tape.size();
        ASSERT_EQ(tape.size(), recorded) << "step " << step;
        tape.backward(penalty);  // releases what it ran: the recorded backward and tanh
        y = Tensor();            // mul and sum, which only y reaches, go with it
        ASSERT_EQ(tape.size(), 0u) << "step " << step;
        x.zero_grad();
    }
    EXPECT_GT(recorded, 4u);
}

TEST(CreateGraph, BackwardWithCreateGraphGivesDifferentiableGrads) {
    tg::Tape tape;
    auto x = tg::parameter<double>(tg::Array<double>{0.5, -1.5});
    tape.backward(tg::sum(x * x * x), create_graph());  // grad = 3x²
    Tensor g = x.grad();
    EXPECT_TRUE(g.requires_grad());
    Tensor h = tape.gradient(tg::sum(g), {x})[0];  // 6x
    EXPECT_DOUBLE_EQ(h.value()(0), 3.0);
    EXPECT_DOUBLE_EQ(h.value()(1), -9.0);
}

TEST(SecondOrderErrors, HessianOfNonScalarFunction) {
    Tensor x(random_array({3}, 12));
    const std::string message =
        error_of([&] { tg::hessian<double>([](const Tensor& z) { return z * z; }, x); });
    EXPECT_NE(message.find("hessian"), std::string::npos) << message;
    EXPECT_NE(message.find("(3)"), std::string::npos) << message;
    EXPECT_NE(message.find("scalar"), std::string::npos) << message;
}

TEST(SecondOrderErrors, JvpWithTangentOfWrongShape) {
    Tensor x(random_array({3}, 13));
    Tensor t(random_array({4}, 14));
    const std::string message =
        error_of([&] { tg::jvp<double>([](const Tensor& z) { return tg::exp(z); }, x, t); });
    EXPECT_NE(message.find("jvp"), std::string::npos) << message;
    EXPECT_NE(message.find("(4)"), std::string::npos) << message;
    EXPECT_NE(message.find("(3)"), std::string::npos) << message;
}

TEST(SecondOrderErrors, DifferentiatingAGradientComputedWithoutCreateGraph) {
    tg::Tape tape;
    auto x = tg::parameter<double>(tg::Array<double>{1.0, 2.0});
    tg::BackwardOptions retain;
    retain.retain_graph = true;
    Tensor g = tape.gradient(tg::sum(tg::exp(x)), {x}, retain)[0];
    EXPECT_FALSE(g.requires_grad());
    const std::string message = error_of([&] { tape.gradient(tg::sum(g), {x}); });
    EXPECT_NE(message.find("create_graph"), std::string::npos) << message;
}

}  // namespace
