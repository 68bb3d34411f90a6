// tg::max(x) and tg::min(x) over every element: values, PyTorch's gradient at ties and NaN
// (derivatives.yaml of PyTorch 1.13, `max: self: evenly_distribute_backward(grad, self,
// result)`: the gradient split equally among the elements equal to the result, or among
// the NaNs when the result is NaN), and the empty tensor. First and second derivatives
// away from ties are the op table's rows "max_all" and "min_all".

#include "op_test_util.hpp"

#include <limits>

namespace tg::test {
namespace {

using T = Tensor<double>;
const double kNan = std::numeric_limits<double>::quiet_NaN();

TEST(MaxAll, IsTheLargestElementAsA0dTensor) {
    const T x{{1.0, -4.0, 2.5}, {0.5, 2.0, -1.0}};
    EXPECT_EQ(max(x).shape(), Shape{});
    EXPECT_EQ(max(x).item(), 2.5);
    EXPECT_EQ(min(x).item(), -4.0);
    EXPECT_EQ(max(T(-3.0)).item(), -3.0);
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(max(T{-inf, 1.0}).item(), 1.0);
    EXPECT_EQ(max(T{-inf, -inf}).item(), -inf);
}

TEST(MaxAll, SplitsTheGradientAmongTies) {
    const T x = parameter(xt::xarray<double>{{1.0, 3.0}, {3.0, 2.0}});
    Tape tape;
    EXPECT_EQ(xt::xarray<double>(tape.gradient(max(x) * 4.0, {x})[0].value()),
              (xt::xarray<double>{{0.0, 2.0}, {2.0, 0.0}}));
    const T y = parameter(xt::xarray<double>{0.0, -2.0, -2.0, -2.0});
    EXPECT_TRUE(all_close(tape.gradient(min(y), {y})[0],
                          xt::xarray<double>{0.0, 1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-15, 0));
}

TEST(MaxAll, IsNanWhenAnElementIsNanAndGivesTheNansTheGradient) {
    const T x = parameter(xt::xarray<double>{1.0, kNan, 3.0, kNan});
    Tape tape;
    const T m = max(x);
    EXPECT_TRUE(std::isnan(m.item()));
    EXPECT_EQ(xt::xarray<double>(tape.gradient(m, {x})[0].value()),
              (xt::xarray<double>{0.0, 0.5, 0.0, 0.5}));
    EXPECT_TRUE(std::isnan(min(x).item()));
}

TEST(MaxAll, OfAnEmptyTensorIsRefused) {
    expect_error<ValueError>(
        [] {
            (void)max(zeros({0, 3}));
        },
        "max: the tensor is empty, so it has no largest element; give max "
        "an axis and keepdims, or check for empty inputs first");
    expect_error<ValueError>([] { (void)min(zeros({0})); }, "max: the tensor is empty");
}

}  // namespace
}  // namespace tg::test
