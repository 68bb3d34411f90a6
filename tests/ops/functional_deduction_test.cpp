// The functional helpers take lambdas and deduce the element type from x, as the README
// writes them (tg::hessian(f, x), not tg::hessian<double>(f, x)), and tg::grad and
// tg::value_and_grad give the gradients of the formulas.

#include <tapegrad/functional.hpp>
#include <tapegrad/ops.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace tg {
namespace {

template <class T>
class FunctionalDeduction : public ::testing::Test {};
using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(FunctionalDeduction, ElementTypes);

TYPED_TEST(FunctionalDeduction, LambdasAndTypesAreDeduced) {
    using T = TypeParam;
    const Tensor<T> x{T(1), T(2), T(3)};
    const auto cube_sum = [](const Tensor<T>& v) { return sum(v * v * v); };  // Σ x³
    const auto square = [](const Tensor<T>& v) { return v * v; };

    const Tensor<T> g = grad(cube_sum, x);                               // 3 x²
    const Tensor<T> h = hessian(cube_sum, x);                            // diag(6 x)
    const Tensor<T> j = jacobian(square, x);                             // diag(2 x)
    const Tensor<T> hv = hvp(cube_sum, x, Tensor<T>{T(1), T(1), T(1)});  // 6 x
    const auto [y, vj] = vjp(square, x, Tensor<T>{T(1), T(0), T(1)});    // (x², (2x₀, 0, 2x₂))
    const auto [y2, jv] = jvp(square, x, Tensor<T>{T(0), T(1), T(0)});   // (x², (0, 2x₁, 0))
    // Small whole numbers: every product and sum is exact in float and in double.
    for (std::size_t i = 0; i < 3; ++i) {
        const T xi = x.at({i});
        EXPECT_EQ(g.at({i}), 3 * xi * xi);
        EXPECT_EQ(hv.at({i}), 6 * xi);
        EXPECT_EQ(y.at({i}), xi * xi);
        EXPECT_EQ(vj.at({i}), i == 1 ? 0 : 2 * xi);
        EXPECT_EQ(jv.at({i}), i == 1 ? 2 * xi : 0);
        for (std::size_t k = 0; k < 3; ++k) {
            EXPECT_EQ(h.at({i, k}), i == k ? 6 * xi : 0);
            EXPECT_EQ(j.at({i, k}), i == k ? 2 * xi : 0);
        }
    }
}

TYPED_TEST(FunctionalDeduction, ValueAndGradOverSeveralTensors) {
    using T = TypeParam;
    const Tensor<T> w{{T(1), T(2)}, {T(3), T(4)}}, b{T(0.5), T(-0.5)};
    const Tensor<T> x{{T(1), T(-1)}};
    // L = Σ (x wᵀ + b)²: dL/dw = 2 (x wᵀ + b)ᵀ x, dL/db = 2 (x wᵀ + b) summed over rows.
    const auto loss = [&](const std::vector<Tensor<T>>& p) {
        const Tensor<T> z = linear(x, p[0], p[1]);
        return sum(z * z);
    };
    const auto [value, grads] = value_and_grad(loss, {w, b});
    // z = (1·1 − 2 + 0.5, 3 − 4 − 0.5) = (−0.5, −1.5); halves and whole numbers, so
    // every value below is exact in float and in double.
    EXPECT_EQ(value.item(), T(0.25 + 2.25));
    ASSERT_EQ(grads.size(), 2u);
    EXPECT_EQ(grads[0].at({0, 0}), T(2 * -0.5 * 1));
    EXPECT_EQ(grads[0].at({0, 1}), T(2 * -0.5 * -1));
    EXPECT_EQ(grads[0].at({1, 0}), T(2 * -1.5 * 1));
    EXPECT_EQ(grads[0].at({1, 1}), T(2 * -1.5 * -1));
    EXPECT_EQ(grads[1].at({0}), T(-1));
    EXPECT_EQ(grads[1].at({1}), T(-3));
    EXPECT_FALSE(value.requires_grad());
    // A vector argument works too, and the inputs are not touched.
    const auto [value2, grads2] = value_and_grad(loss, std::vector<Tensor<T>>{w, b});
    EXPECT_EQ(value2.item(), value.item());
    EXPECT_FALSE(w.has_grad());
}

TEST(FunctionalDeductionErrors, GradNeedsAScalarFunction) {
    const Tensor<> x{1.0, 2.0};
    const auto expect_shape_error = [](const std::function<void()>& f, const std::string& part) {
        try {
            f();
            ADD_FAILURE() << "expected a ShapeError saying: " << part;
        } catch (const ShapeError& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    expect_shape_error([&] { grad([](const Tensor<>& v) { return v * 2.0; }, x); },
                       "grad: the function returned shape (2); a gradient needs a scalar "
                       "(one-element) function");
    expect_shape_error(
        [&] { value_and_grad([](const std::vector<Tensor<>>& v) { return v[0]; }, {x}); },
        "value_and_grad: the function returned shape (2); a gradient needs a scalar "
        "(one-element) function");
    // A function that does not depend on its input has a zero gradient.
    const Tensor<> g = grad([](const Tensor<>&) { return Tensor<>(1.0); }, x);
    EXPECT_EQ(g.at({0}), 0.0);
    EXPECT_EQ(g.shape(), x.shape());
}

}  // namespace
}  // namespace tg
