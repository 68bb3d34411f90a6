// tg::zeros, ones, full, zeros_like, ones_like, full_like, empty_like, from_vector, arange,
// linspace, eye (and Tensor::at):
// values, element type, requires_grad, and the errors.

#include <tapegrad/ops.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>

namespace tg {
namespace {

template <class T>
std::vector<T> values_of(const Tensor<T>& t) {
    return std::vector<T>(t.value().data(), t.value().data() + t.size());
}

TEST(Factory, FilledTensors) {
    EXPECT_EQ(zeros({2, 3}).shape(), (Shape{2, 3}));
    EXPECT_EQ(values_of(zeros({2, 3})), std::vector<double>(6, 0.0));
    EXPECT_EQ(values_of(ones<float>({4})), std::vector<float>(4, 1.0f));
    EXPECT_EQ(values_of(full({3}, 7)), std::vector<double>(3, 7.0));  // the int converts
    EXPECT_EQ(full({}, 2.5).shape(), Shape{});
    EXPECT_EQ(full({}, 2.5).item(), 2.5);
    const Tensor<float> x{{1.0f, 2.0f}, {3.0f, 4.0f}};
    EXPECT_EQ(values_of(zeros_like(x)), std::vector<float>(4, 0.0f));
    EXPECT_EQ(ones_like(x).shape(), x.shape());
    static_assert(std::is_same_v<decltype(zeros_like(x)), Tensor<float>>);
    static_assert(std::is_same_v<decltype(zeros({1})), Tensor<double>>);
    static_assert(std::is_same_v<decltype(arange(10)), Tensor<double>>);
}

TEST(Factory, LikeFactoriesTakeTheShapeAndTypeOfX) {
    const Tensor<float> x{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
    EXPECT_EQ(values_of(full_like(x, 2.5)), std::vector<float>(6, 2.5f));  // the double converts
    EXPECT_EQ(full_like(x, 1).shape(), x.shape());
    EXPECT_EQ(values_of(empty_like(x)), std::vector<float>(6, 0.0f));
    EXPECT_EQ(empty_like(x).shape(), x.shape());
    static_assert(std::is_same_v<decltype(full_like(x, 1)), Tensor<float>>);
    static_assert(std::is_same_v<decltype(empty_like(x)), Tensor<float>>);
}

TEST(Factory, FromVectorFillsTheShapeInRowMajorOrder) {
    const std::vector<double> v{1, 2, 3, 4, 5, 6};
    const Tensor<> t = from_vector(v, {2, 3});
    EXPECT_EQ(t.shape(), (Shape{2, 3}));
    EXPECT_EQ(t.value()(0, 2), 3.0);
    EXPECT_EQ(t.value()(1, 0), 4.0);
    EXPECT_EQ(values_of(t), v);
    EXPECT_FALSE(t.requires_grad());
    EXPECT_EQ(from_vector(v, {6}).shape(), Shape{6});
    EXPECT_EQ(from_vector(std::vector<double>{7.5}, {}).item(), 7.5);  // a 0-d tensor
    const Tensor<float> f = from_vector<float>({1, 2, 3, 4}, {2, 1, 2}, true);
    EXPECT_EQ(values_of(f), (std::vector<float>{1, 2, 3, 4}));
    EXPECT_TRUE(f.requires_grad());
    EXPECT_TRUE(f.is_leaf());
    std::vector<double> w{1, 2};
    const Tensor<> copy = from_vector(w, {2});
    w[0] = 9;  // the tensor holds a copy
    EXPECT_EQ(copy.value()(0), 1.0);
    try {
        from_vector(v, {4, 2});
        ADD_FAILURE() << "expected a ShapeError";
    } catch (const ShapeError& e) {
        EXPECT_STREQ(e.what(),
                     "from_vector: shape (4, 2) holds 8 elements but the vector has 6; pass a "
                     "shape whose sizes multiply to the vector's size");
    }
}

TEST(Factory, RequiresGradMakesALeafThatWantsAGradient) {
    for (const Tensor<>& t :
         {zeros({2}, true), ones({2}, true), full({2}, 3.0, true), arange(0.0, 2.0, 1.0, true),
          linspace(0, 1, 2, true), eye(2, 0, true), zeros_like(Tensor<>{1.0, 2.0}, true),
          full_like(Tensor<>{1.0}, 3.0, true), empty_like(Tensor<>{1.0}, true)}) {
        EXPECT_TRUE(t.requires_grad());
        EXPECT_TRUE(t.is_leaf());
    }
    EXPECT_FALSE(zeros({2}).requires_grad());
}

TEST(Factory, ArangeAsNumpy) {
    EXPECT_EQ(values_of(arange(5)), (std::vector<double>{0, 1, 2, 3, 4}));
    EXPECT_EQ(values_of(arange(1, 2, 0.25)), (std::vector<double>{1, 1.25, 1.5, 1.75}));
    EXPECT_EQ(values_of(arange(3, 0, -1)), (std::vector<double>{3, 2, 1}));
    EXPECT_EQ(values_of(arange<float>(0, 1, 0.3f)),
              (std::vector<float>{0, 0.3f, 0.6f, 0.90000004f}));
    EXPECT_EQ(arange(2, 2).size(), 0u);
    const auto expect_error = [](const std::function<void()>& f, const std::string& part) {
        try {
            f();
            ADD_FAILURE() << "expected a ValueError saying: " << part;
        } catch (const ValueError& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    expect_error([] { arange(0, 1, 0); },
                 "arange(0.000000, 1.000000, 0.000000): step must not be 0");
    expect_error([] { arange(0, 1, -1); },
                 "step -1.000000 leads away from end; use a step of the other sign");
    const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
    expect_error([&] { arange(0, inf, 1); }, "start, end and step must be finite");
    expect_error([&] { arange(nan, 1, 1); }, "start, end and step must be finite");
    expect_error([&] { arange(0, 1, inf); }, "start, end and step must be finite");
    expect_error([&] { linspace(-inf, 1, 3); }, "linspace: start and end must be finite");
    expect_error([&] { linspace(0, nan, 3); }, "linspace: start and end must be finite");
}

TEST(Factory, IndexTensorsAsTorchLong) {
    // torch.arange(5), torch.arange(0, 10, 3), torch.arange(3, -3, -2): int64.
    using Index = std::int64_t;
    EXPECT_EQ(values_of(arange<Index>(5)), (std::vector<Index>{0, 1, 2, 3, 4}));
    EXPECT_EQ(values_of(arange<Index>(0, 10, 3)), (std::vector<Index>{0, 3, 6, 9}));
    EXPECT_EQ(values_of(arange<Index>(3, -3, -2)), (std::vector<Index>{3, 1, -1}));
    EXPECT_EQ(values_of(arange<Index>(1, 7, 2)), (std::vector<Index>{1, 3, 5}));
    EXPECT_EQ(arange<Index>(0).numel(), 0u);
    static_assert(std::is_same_v<decltype(arange<Index>(5)), Tensor<Index>>);
    const std::vector<Index> labels{2, 0, 1, 1};
    const Tensor<Index> t = from_vector(labels, {2, 2});
    EXPECT_EQ(t.at({1, 0}), 1);
    EXPECT_EQ(values_of(t), labels);
    EXPECT_EQ(values_of(zeros<Index>({3})), std::vector<Index>(3, 0));
    EXPECT_EQ(values_of(ones<Index>({2})), std::vector<Index>(2, 1));
    EXPECT_EQ(values_of(full<Index>({2}, -100)), std::vector<Index>(2, -100));  // ignore_index
    EXPECT_EQ(values_of(full_like(t, 7)), std::vector<Index>(4, 7));
    EXPECT_EQ(values_of(zeros_like(t)), std::vector<Index>(4, 0));
    EXPECT_EQ(ones_like(t).shape(), t.shape());
    EXPECT_EQ(empty_like(t).shape(), t.shape());
    // Indices never require a gradient; the step rules are arange's.
    try {
        (void)zeros<Index>({2}, true);
        ADD_FAILURE() << "expected a ValueError";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("holds indices and cannot require a gradient"),
                  std::string::npos)
            << e.what();
    }
    try {
        (void)arange<Index>(0, 5, -1);
        ADD_FAILURE() << "expected a ValueError";
    } catch (const ValueError& e) {
        EXPECT_STREQ(e.what(),
                     "arange(0, 5, -1): step -1 leads away from end; use a step of the other "
                     "sign");
    }
    EXPECT_THROW((void)arange<Index>(0, 5, 0), ValueError);
}

TEST(Factory, LinspaceEndsExactly) {
    const std::vector<double> v = values_of(linspace(0, 1, 11));
    ASSERT_EQ(v.size(), 11u);
    for (std::size_t i = 0; i < v.size(); ++i) EXPECT_DOUBLE_EQ(v[i], i / 10.0);
    EXPECT_EQ(v.back(), 1.0);
    EXPECT_EQ(values_of(linspace(2, 5, 1)), (std::vector<double>{2}));
    EXPECT_EQ(linspace(2, 5, 0).size(), 0u);
    EXPECT_EQ(values_of(linspace<float>(-1, 1, 3)), (std::vector<float>{-1, 0, 1}));
}

TEST(Factory, EyeAndElementAccess) {
    const Tensor<> i3 = eye(3);
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t c = 0; c < 3; ++c) EXPECT_EQ(i3.at({r, c}), r == c ? 1.0 : 0.0);
    const Tensor<float> rect = eye<float>(2, 4);
    EXPECT_EQ(rect.shape(), (Shape{2, 4}));
    EXPECT_EQ(values_of(rect), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0}));
    const Tensor<> t{{1, 2, 3}, {4, 5, 6}};
    EXPECT_EQ(t.at({1, 2}), 6.0);
    EXPECT_EQ(Tensor<>(4.0).at({}), 4.0);
    EXPECT_THROW(t.at({1}), ShapeError);
    EXPECT_THROW(t.at({2, 0}), ValueError);
    try {
        t.at({0, 3});
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("position 3 on axis 1 of a tensor of shape (2, 3)"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace tg
