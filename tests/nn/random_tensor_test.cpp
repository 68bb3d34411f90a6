// tg::rand and tg::randn (and rand_like, randn_like): seeded, the same numbers as tg::nn::uniform01 and
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

TEST(RandomTensor, LikeDrawsTheSameValuesAsRandWithTheShapeOfX) {
    const Tensor<float> x{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
    nn::Rng a(9), b(9);
    const Tensor<float> u = rand_like(x, a), n = randn_like(x, a, true);
    const Tensor<float> u0 = rand<float>({2, 3}, b), n0 = randn<float>({2, 3}, b);
    static_assert(std::is_same_v<decltype(rand_like(x, a)), Tensor<float>>);
    EXPECT_EQ(u.shape(), x.shape());
    EXPECT_EQ(n.shape(), x.shape());
    EXPECT_EQ(0, std::memcmp(u.value().data(), u0.value().data(), 6 * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(n.value().data(), n0.value().data(), 6 * sizeof(float)));
    EXPECT_FALSE(u.requires_grad());
    EXPECT_TRUE(n.requires_grad());
}

}  // namespace
}  // namespace tg::test
