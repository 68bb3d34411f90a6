// tg::to_string and operator<< against numpy's own output: the expected strings are
// numpy 1.24's np.array2string(a, prefix="tensor(", separator=", ", suffix=")") wrapped
// in tensor(...), that is numpy's repr with "array" spelled "tensor".

#include <tapegrad/print.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <xtensor/xbuilder.hpp>

namespace tg {
namespace {

Tensor<> arange_reshaped(double n, std::vector<std::size_t> shape, double divide = 1) {
    Array<double> v = xt::arange<double>(n) / divide;
    v.reshape(shape);
    return Tensor<>(std::move(v));
}

TEST(Print, SmallArraysAsNumpy) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(to_string(Tensor<>{{1, 2.5}, {3, 4}}), "tensor([[1. , 2.5],\n        [3. , 4. ]])");
    EXPECT_EQ(to_string(Tensor<>{0.1, 0.25, 1e-5}), "tensor([1.0e-01, 2.5e-01, 1.0e-05])");
    EXPECT_EQ(to_string(Tensor<>{1e9, 2.0}), "tensor([1.e+09, 2.e+00])");
    EXPECT_EQ(to_string(Tensor<>{1.0, nan, -inf}), "tensor([  1.,  nan, -inf])");
    EXPECT_EQ(to_string(Tensor<>{-1.5, 2.0}), "tensor([-1.5,  2. ])");
    EXPECT_EQ(to_string(Tensor<float>{0.1f, 2.0f}), "tensor([0.1, 2. ], dtype=float32)");
    EXPECT_EQ(to_string(Tensor<>(3.5)), "tensor(3.5)");
}

TEST(Print, ManyAxesWrappedAndSummarized) {
    EXPECT_EQ(to_string(arange_reshaped(12, {2, 2, 3})),
              "tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n        [[ 6.,  7.,  8.],\n"
              "         [ 9., 10., 11.]]])");
    EXPECT_EQ(to_string(arange_reshaped(2000, {2000})),
              "tensor([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n"
              "        1.999e+03])");
    EXPECT_EQ(to_string(arange_reshaped(30, {30}, 29)),
              "tensor([0.        , 0.03448276, 0.06896552, 0.10344828, 0.13793103,\n"
              "        0.17241379, 0.20689655, 0.24137931, 0.27586207, 0.31034483,\n"
              "        0.34482759, 0.37931034, 0.4137931 , 0.44827586, 0.48275862,\n"
              "        0.51724138, 0.55172414, 0.5862069 , 0.62068966, 0.65517241,\n"
              "        0.68965517, 0.72413793, 0.75862069, 0.79310345, 0.82758621,\n"
              "        0.86206897, 0.89655172, 0.93103448, 0.96551724, 1.        ])");
    EXPECT_EQ(to_string(arange_reshaped(24, {2, 12}, 7)),
              "tensor([[0.        , 0.14285714, 0.28571429, 0.42857143, 0.57142857,\n"
              "         0.71428571, 0.85714286, 1.        , 1.14285714, 1.28571429,\n"
              "         1.42857143, 1.57142857],\n"
              "        [1.71428571, 1.85714286, 2.        , 2.14285714, 2.28571429,\n"
              "         2.42857143, 2.57142857, 2.71428571, 2.85714286, 3.        ,\n"
              "         3.14285714, 3.28571429]])");
    const std::string summarized = to_string(arange_reshaped(2000, {40, 50}));
    const std::string first_rows =
        "tensor([[0.000e+00, 1.000e+00, 2.000e+00, ..., 4.700e+01, 4.800e+01,\n"
        "         4.900e+01],\n"
        "        [5.000e+01, 5.100e+01, 5.200e+01, ..., 9.700e+01, 9.800e+01,\n";
    EXPECT_EQ(summarized.substr(0, first_rows.size()), first_rows);
    EXPECT_NE(summarized.find("         1.490e+02],\n        ...,\n        [1.850e+03, "),
              std::string::npos)
        << summarized;
}

TEST(Print, GradientEmptyUndefinedAndStream) {
    EXPECT_EQ(to_string(Tensor<>(Array<double>{1.0, 2.0}, true)),
              "tensor([1., 2.], requires_grad=True)");
    EXPECT_EQ(to_string(Tensor<>(Array<double>(xt::zeros<double>({0, 3})))),
              "tensor([], size=(0, 3))");
    EXPECT_EQ(to_string(Tensor<>()), "tensor(undefined)");
    std::ostringstream out;
    out << Tensor<float>(xt::ones<float>({1, 1}));
    EXPECT_EQ(out.str(), "tensor([[1.]], dtype=float32)");
}

}  // namespace
}  // namespace tg
