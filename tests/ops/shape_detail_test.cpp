// The op authors' helpers behind the views (<tapegrad/ops/shape.hpp>, tg::detail):
// view_of shares storage and the base's version counter; scatter_window places x in a
// window of zeros, adding where the window meets a position twice, and as_strided, its
// adjoint, reads a window (first and second order against finite differences).

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

TEST(ShapeDetail, ScatterWindowPlacesXInZerosAndItsGradientIsTheWindow) {
    const Tensor<double> x(Array<double>{{1.0, 2.0}, {3.0, 4.0}});
    // Columns 1 and 2 of a (2, 4): narrow's window.
    const detail::Layout columns = detail::stepped(detail::contiguous_layout({2, 4}), 1, 1, 2, 1);
    EXPECT_TRUE(all_close(detail::scatter_window(x, columns, {2, 4}),
                          xt::xarray<double>{{0.0, 1.0, 2.0, 0.0}, {0.0, 3.0, 4.0, 0.0}}, 0, 0));
    // Row 1 of a (3, 2) repeated twice (an expand's window): both land on it.
    const detail::Layout repeated{{2, 2}, {0, 1}, 2};
    EXPECT_TRUE(all_close(detail::scatter_window(x, repeated, {3, 2}),
                          xt::xarray<double>{{0.0, 0.0}, {4.0, 6.0}, {0.0, 0.0}}, 0, 0));
    EXPECT_TRUE(all_close(
        detail::as_strided(
            Tensor<double>(Array<double>{{1.0, 2.0, 3.0, 4.0}, {5.0, 6.0, 7.0, 8.0}}), columns),
        xt::xarray<double>{{2.0, 3.0}, {6.0, 7.0}}, 0, 0));
    const std::vector<Tensor<double>> at{Tensor<double>(Array<double>{{0.3, -0.2}, {0.5, 1.1}})};
    for (const detail::Layout& window : {columns, repeated}) {
        const Shape shape = window.offset == 2 ? Shape{3, 2} : Shape{2, 4};
        auto f = [&](const std::vector<Tensor<double>>& in) {
            return detail::scatter_window(tanh(in[0]), window, shape);
        };
        EXPECT_TRUE(gradcheck(f, at).passed);
        EXPECT_TRUE(gradgradcheck(f, at).passed);
    }
}

}  // namespace
}  // namespace tg::test
