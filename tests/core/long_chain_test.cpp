// A million recorded ops: backward and teardown are loops, never recursion.
//
// With a recursive sweep or a recursive destructor, a chain this long overflows the
// default 8 MiB stack (a million frames of even a few dozen bytes).

#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <xtensor/xbuilder.hpp>

namespace {

constexpr std::size_t kChain = 1000000;

TEST(LongChainTest, MillionMultipliesRunBackward) {
    const double factor = 1.0000001;
    tg::Tape tape;
    auto x = tg::parameter<double>(xt::ones<double>({1}));  // a 1-element tensor
    const tg::Tensor<double> c(factor);
    tg::Tensor<double> y = x;
    for (std::size_t i = 0; i < kChain; ++i) y = y * c;
    ASSERT_EQ(tape.size(), kChain);

    const double expected = std::pow(factor, static_cast<double>(kChain));  // e^0.1
    EXPECT_NEAR(y.item(), expected, 1e-9 * expected);

    tape.backward(y);
    EXPECT_EQ(tape.size(), 0u);
    // dy/dx = factor^n; x = 1, so the reverse sweep multiplies the same numbers in the
    // same order as the forward pass. Missing even one entry would be off by 1e-7.
    EXPECT_DOUBLE_EQ(x.grad().item(), y.item());
    EXPECT_NEAR(x.grad().item(), expected, 1e-9 * expected);
}

TEST(LongChainTest, MillionAddsDestroyedWithoutBackward) {
    auto x = tg::parameter<double>(tg::Array<double>(0.0));  // 0-d
    tg::Tensor<double> y = x;
    {
        tg::Tape tape;
        for (std::size_t i = 0; i < kChain; ++i) y = y + 1.0;
        ASSERT_EQ(tape.size(), kChain);
    }  // the tape is destroyed with a million entries, never having run backward
    EXPECT_DOUBLE_EQ(y.item(), static_cast<double>(kChain));
    EXPECT_FALSE(x.has_grad());
    EXPECT_EQ(tg::Tape::active(), nullptr);
}

TEST(LongChainTest, MillionAddsThroughTensorBackward) {
    tg::Tape tape;
    auto x = tg::parameter<double>(tg::Array<double>(0.0));
    tg::Tensor<double> y = x;
    // y = x + x + ... : the contribution of every step reaches x.
    for (std::size_t i = 0; i < kChain; ++i) y = y + x;
    y.backward();
    EXPECT_DOUBLE_EQ(x.grad().item(), static_cast<double>(kChain + 1));
}

}  // namespace
