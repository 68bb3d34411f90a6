// tg::rand and tg::randn: seeded, the same numbers as tg::nn::uniform01 and
// tg::nn::standard_normal drawn in row-major order, in float and double.

#include "nn/nn_test_util.hpp"

namespace tg::test {
namespace {

TEST(RandomTensor, DrawsInRowMajorOrderFromTheRng) {
    nn::Rng a(42), b(42);
    const Tensor<> u = rand({2, 3}, a);
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(u.value().data()[i], nn::uniform01(b));
    const Tensor<> n = randn({4}, a, true);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(n.value().data()[i], nn::standard_normal(b));
    EXPECT_TRUE(n.requires_grad());
    EXPECT_FALSE(u.requires_grad());
}

TEST(RandomTensor, FloatIsTheDoubleDrawRoundedAndStaysBelowOne) {
    nn::Rng a(7), b(7);
    const Tensor<float> f = rand<float>({1000}, a);
    const Tensor<> d = rand({1000}, b);
    for (std::size_t i = 0; i < 1000; ++i) {
        const float expected = static_cast<float>(d.value().data()[i]);
        EXPECT_EQ(f.value().data()[i], expected < 1.0f ? expected : std::nextafter(1.0f, 0.0f));
        EXPECT_GE(f.value().data()[i], 0.0f);
        EXPECT_LT(f.value().data()[i], 1.0f);
    }
}

TEST(RandomTensor, SameSeedSameTensor) {
    nn::Rng a(3), b(3);
    const Tensor<float> x = randn<float>({5, 5}, a), y = randn<float>({5, 5}, b);
    EXPECT_EQ(0, std::memcmp(x.value().data(), y.value().data(), 25 * sizeof(float)));
}

}  // namespace
}  // namespace tg::test
