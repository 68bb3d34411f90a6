// The op authors' helpers behind the views (<tapegrad/ops/shape.hpp>, tg::detail):
// view_of shares storage and the base's version counter; embed places x in zeros and its
// gradient is narrow's (first and second order against finite differences).

#include "op_test_util.hpp"

#include <tapegrad/gradcheck.hpp>

namespace tg::test {
namespace {

TEST(ShapeDetail, ViewOfSharesStorageAndTheBasesVersion) {
    Tensor<double> base(Array<double>{1.0, 2.0, 3.0, 4.0, 5.0, 6.0});
    const Tensor<double> v = detail::view_of(base, {2, 2}, 2);
    EXPECT_TRUE(all_close(v, xt::xarray<double>{{3.0, 4.0}, {5.0, 6.0}}, 0, 0));
    EXPECT_TRUE(detail::shares_storage(v, base));
    base.mutable_value()(2) = 30.0;  // seen through the view, which shares the counter
    EXPECT_EQ(v.value()(0, 0), 30.0);
    EXPECT_EQ(v.version(), base.version());
}

TEST(ShapeDetail, EmbedPlacesXInZerosAndItsGradientIsNarrows) {
    const Tensor<double> x(Array<double>{{1.0, 2.0}, {3.0, 4.0}});
    EXPECT_TRUE(all_close(detail::embed(x, 1, 1, {2, 4}),
                          xt::xarray<double>{{0.0, 1.0, 2.0, 0.0}, {0.0, 3.0, 4.0, 0.0}}, 0, 0));
    auto f = [](const std::vector<Tensor<double>>& in) {
        return detail::embed(tanh(in[0]), 0, 1, {4, 2});
    };
    const std::vector<Tensor<double>> at{Tensor<double>(Array<double>{{0.3, -0.2}, {0.5, 1.1}})};
    EXPECT_TRUE(gradcheck(f, at).passed);
    EXPECT_TRUE(gradgradcheck(f, at).passed);
}

}  // namespace
}  // namespace tg::test
