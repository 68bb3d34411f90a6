// Portable random numbers and the seeded initializers.

#include "nn/nn_test_util.hpp"

#include <numeric>
#include <set>

namespace tg::test {
namespace {

TEST(Random, Uniform01IsTheTop53BitsOfTheStandardEngine) {
    // The C++ standard fixes the 10000th output of a default-seeded mt19937_64:
    // 9981545732273789042, whose top 53 bits times 2⁻⁵³ are 0x1.150b25eb02fdbp-1.
    nn::Rng rng;
    rng.discard(9999);
    EXPECT_EQ(nn::uniform01(rng), 0x1.150b25eb02fdbp-1);
}

TEST(Random, UniformIndexIsInRangeAndCoversIt) {
    nn::Rng rng(3);
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto k = nn::uniform_index(rng, 7);
        ASSERT_LT(k, 7u);
        seen.insert(k);
    }
    EXPECT_EQ(seen.size(), 7u);
    EXPECT_THROW(nn::uniform_index(rng, 0), ValueError);
}

TEST(Random, PermutationHoldsEveryIndexOnce) {
    nn::Rng rng(4);
    auto p = nn::random_permutation(100, rng);
    std::vector<std::size_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < 100; ++i) ASSERT_EQ(sorted[i], i);
    std::vector<std::size_t> identity(100);
    std::iota(identity.begin(), identity.end(), std::size_t(0));
    EXPECT_NE(p, identity);
}

TEST(Random, StandardNormalHasMeanZeroAndUnitVariance) {
    nn::Rng rng(5);
    constexpr int n = 200000;
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
        const double z = nn::standard_normal(rng);
        sum += z;
        sum_sq += z * z;
    }
    EXPECT_NEAR(sum / n, 0.0, 0.01);
    EXPECT_NEAR(sum_sq / n, 1.0, 0.02);
}

TEST(Init, XavierUniformStaysInItsBound) {
    nn::Rng rng(6);
    const Array<double> w = nn::xavier_uniform<double>({30, 20}, rng);
    const double bound = std::sqrt(6.0 / 50.0);
    double largest = 0;
    for (double v : w) largest = std::max(largest, std::abs(v));
    EXPECT_LE(largest, bound);
    EXPECT_GT(largest, 0.9 * bound);
}

TEST(Init, HeNormalHasItsStandardDeviation) {
    nn::Rng rng(7);
    const Array<double> w = nn::he_normal<double>({400, 100}, rng);
    double sum_sq = 0;
    for (double v : w) sum_sq += v * v;
    EXPECT_NEAR(std::sqrt(sum_sq / w.size()), std::sqrt(2.0 / 100), 0.003);
}

TEST(Init, SameSeedSameValuesInFloatAndDouble) {
    for (nn::Init rule : {nn::Init::xavier_uniform, nn::Init::xavier_normal, nn::Init::he_uniform,
                          nn::Init::he_normal, nn::Init::normal}) {
        const Array<double> a = nn::initialize<double>(rule, {3, 4}, 42);
        const Array<double> b = nn::initialize<double>(rule, {3, 4}, 42);
        const Array<float> f = nn::initialize<float>(rule, {3, 4}, 42);
        const Array<double> other = nn::initialize<double>(rule, {3, 4}, 43);
        EXPECT_EQ(relative_error(a, b), 0.0);
        EXPECT_GT(relative_error(a, other), 0.0);
        // float draws the same numbers, rounded.
        for (std::size_t i = 0; i < a.size(); ++i)
            EXPECT_EQ(f.data()[i], static_cast<float>(a.data()[i]));
    }
    const Array<double> zeros = nn::initialize<double>(nn::Init::zeros, {2, 2}, 1);
    for (double v : zeros) EXPECT_EQ(v, 0.0);
}

TEST(Init, PinnedValuesDoNotChange) {
    // xavier_uniform for (2, 2) from seed 0: a = √(6/4), w = a·(2u − 1) with u the top 53
    // bits of the first outputs. Computed once; a change here changes every model's
    // initial weights.
    nn::Rng rng(0);
    const double a = std::sqrt(6.0 / 4.0);
    std::vector<double> expected;
    for (int i = 0; i < 4; ++i)
        expected.push_back(std::fma(2 * a, static_cast<double>(rng() >> 11) * 0x1.0p-53, -a));
    nn::Rng again(0);
    const Array<double> w = nn::xavier_uniform<double>({2, 2}, again);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(w.data()[i], expected[i]);
}

TEST(Init, FansFollowPyTorch) {
    EXPECT_EQ(nn::fans_of({5, 3}).in, 3u);
    EXPECT_EQ(nn::fans_of({5, 3}).out, 5u);
    EXPECT_EQ(nn::fans_of({4}).in, 4u);
    EXPECT_EQ(nn::fans_of({8, 2, 3}).in, 6u);
    nn::Rng rng(1);
    EXPECT_THROW(nn::xavier_uniform<double>({0, 3}, rng), ValueError);
}

}  // namespace
}  // namespace tg::test
