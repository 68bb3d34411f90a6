// permute's row-copy path (a permutation that keeps the last axis, as conv2d's NCHW <->
// (C, N, H, W) permutes): values against xtensor's transpose, float and double, including
// an empty tensor. (Its gradcheck is a row of op_table.cpp.)

#include "op_test_util.hpp"

#include <vector>
#include <xtensor/xmanipulation.hpp>

namespace tg::test {
namespace {

template <class T>
void check_permutes() {
    std::mt19937_64 rng(seed_of("permute_rows"));
    const xt::xarray<T> x = random_array<T>({3, 2, 4, 5}, rng);
    for (const std::vector<std::size_t>& perm : {std::vector<std::size_t>{1, 0, 2, 3},
                                                 {2, 0, 1, 3},
                                                 {1, 2, 0, 3},
                                                 {0, 1, 2, 3},
                                                 {0, 2, 1, 3}}) {
        SCOPED_TRACE("perm " + shape_str(perm));
        EXPECT_TRUE(
            all_close(permute(Tensor<T>(x), perm), xt::xarray<T>(xt::transpose(x, perm)), 0, 0));
    }
    const xt::xarray<T> empty = xt::xarray<T>::from_shape({2, 0, 3});
    EXPECT_EQ(permute(Tensor<T>(empty), {1, 0, 2}).shape(), (Shape{0, 2, 3}));
}

TEST(PermuteRows, MatchesXtensorTranspose) {
    check_permutes<double>();
    check_permutes<float>();
}

}  // namespace
}  // namespace tg::test
