// tg::Tensor<std::int64_t>, the index tensor: built and read as a float tensor is, and
// never requires a gradient (construction, set_requires_grad, tg::parameter, grad() and
// backward() refuse with a message that says so). Its use in the ops:
// tests/ops/index_tensor_test.cpp.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/print.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>

namespace {

using tg::test::contains;
using tg::test::error_message;
using Index = tg::Tensor<std::int64_t>;

TEST(IndexTensorTest, BuildsAndReadsAsAFloatTensor) {
    const Index t{{0, 2, 1}, {-4, 5, 9000000000}};
    static_assert(std::is_same_v<Index::value_type, std::int64_t>);
    EXPECT_EQ(t.shape(), (tg::Shape{2, 3}));
    EXPECT_EQ(t.at({1, 2}), 9000000000);
    EXPECT_EQ(t.at({1, 0}), -4);
    EXPECT_EQ(Index(std::int64_t{7}).item(), 7);
    EXPECT_FALSE(t.requires_grad());
    EXPECT_TRUE(t.is_leaf());
    EXPECT_FALSE(t.has_grad());
    // detach copies; mutable_value bumps the version, as for floats.
    Index copy = t.detach();
    copy.mutable_value()(0, 0) = 3;
    EXPECT_EQ(copy.version(), 1u);
    EXPECT_EQ(t.at({0, 0}), 0);
    copy.assign(tg::Array<std::int64_t>{{1, 1, 1}, {1, 1, 1}});
    EXPECT_EQ(copy.at({1, 2}), 1);
    copy.set_requires_grad(false);  // asking for no gradient is fine
    copy.zero_grad();               // nothing to zero
    copy.reset_grad();
    EXPECT_EQ(copy.set_name("targets").name(), "targets");
}

TEST(IndexTensorTest, PrintsAsTorchPrintsInt64) {
    EXPECT_EQ(tg::to_string(Index{{1, -20}, {300, 4}}),
              "tensor([[  1, -20],\n"
              "        [300,   4]])");
    EXPECT_EQ(tg::to_string(Index{9007199254740993}), "tensor([9007199254740993])");  // 2^53 + 1
    EXPECT_EQ(tg::to_string(Index(std::int64_t{-7})), "tensor(-7)");
}

TEST(IndexTensorTest, NeverRequiresAGradient) {
    const std::string refused =
        "a Tensor<std::int64_t> holds indices and cannot require a gradient (PyTorch: only "
        "tensors of floating point dtype can require gradients)";
    Index t{1, 2};
    EXPECT_TRUE(contains(error_message<tg::ValueError>([&] { t.set_requires_grad(); }),
                         "set_requires_grad(): " + refused));
    EXPECT_FALSE(t.requires_grad());
    EXPECT_TRUE(contains(error_message<tg::ValueError>([] {
                             Index(tg::Array<std::int64_t>{1, 2}, true);
                         }),
                         "tg::Tensor: " + refused));
    EXPECT_TRUE(contains(error_message<tg::ValueError>(
                             [] { tg::parameter<std::int64_t>(tg::Array<std::int64_t>{1}); }),
                         refused));
    EXPECT_TRUE(contains(error_message<tg::GraphError>([&] { t.grad(); }),
                         "grad(): a Tensor<std::int64_t> holds indices and has no gradient"));
    tg::Tape tape;
    EXPECT_TRUE(contains(error_message<tg::GraphError>([&] { t.backward(); }),
                         "backward(): a Tensor<std::int64_t> holds indices and has no gradient"));
}

}  // namespace
