// Tensors from nested braced lists, as torch.tensor takes nested Python lists: the shape
// follows the nesting, so a column vector {{1.0}, {2.0}} is (2, 1) and not a row of two.

#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <xtensor/xarray.hpp>

namespace tg {
namespace {

/// A function taking a tensor, called with a braced list.
Shape shape_of(const Tensor<>& t) { return t.shape(); }

TEST(ListConstructor, AColumnVectorIsTwoByOne) {
    const Tensor<> column{{1.0}, {2.0}};
    EXPECT_EQ(column.shape(), (Shape{2, 1}));
    EXPECT_EQ(column.at({1, 0}), 2.0);
    const Tensor<> copy_initialized = {{1.0}, {2.0}, {3.0}};
    EXPECT_EQ(copy_initialized.shape(), (Shape{3, 1}));
    EXPECT_EQ(shape_of({{1.0}, {2.0}}), (Shape{2, 1}));
    EXPECT_EQ((Tensor<float>{{1.0f}, {2.0f}}.shape()), (Shape{2, 1}));
}

TEST(ListConstructor, RanksOneToFour) {
    EXPECT_EQ((Tensor<>{1.0, 2.0}.shape()), (Shape{2}));
    EXPECT_EQ((Tensor<>{0.5}.shape()), (Shape{1}));  // a braced number is a 1-element list
    EXPECT_EQ((Tensor<>{{1, 2}, {3, 4}}.shape()), (Shape{2, 2}));
    EXPECT_EQ((Tensor<>{{1.0, 2.0, 3.0}}.shape()), (Shape{1, 3}));
    EXPECT_EQ((Tensor<>{{{1.0}}, {{2.0}}}.shape()), (Shape{2, 1, 1}));
    EXPECT_EQ((Tensor<>{{{1.0, 2.0}, {3.0, 4.0}}, {{5.0, 6.0}, {7.0, 8.0}}}.shape()),
              (Shape{2, 2, 2}));
    EXPECT_EQ((Tensor<>{{{{1.0}}}, {{{2.0}}}}.shape()), (Shape{2, 1, 1, 1}));
    const Tensor<> four{{{{1, 2}, {3, 4}}}};
    EXPECT_EQ(four.shape(), (Shape{1, 1, 2, 2}));
    EXPECT_EQ(four.at({0, 0, 1, 0}), 3.0);
}

TEST(ListConstructor, ConvertsTheNumbersToTheElementType) {
    const Tensor<float> f{{1.5, 2.0}, {3.0, 4.25}};  // double literals into float
    EXPECT_EQ(f.at({1, 1}), 4.25f);
    const Tensor<> ints{{1, 2}, {3, 4}};
    EXPECT_EQ(ints.at({1, 0}), 3.0);
}

TEST(ListConstructor, MixesNumberTypes) {
    const Tensor<> flat{1, 2.5, 3};
    EXPECT_EQ(flat.shape(), (Shape{3}));
    EXPECT_EQ(flat.at({1}), 2.5);
    EXPECT_EQ(flat.at({2}), 3.0);
    const Tensor<> matrix{{1, 2.5}, {3, 4}};
    EXPECT_EQ(matrix.shape(), (Shape{2, 2}));
    EXPECT_EQ(matrix.at({0, 1}), 2.5);
    const Tensor<float> cube{{{1, 2.5f}}, {{3.0, 4}}};
    EXPECT_EQ(cube.shape(), (Shape{2, 1, 2}));
    EXPECT_EQ(cube.at({1, 0, 0}), 3.0f);
}

TEST(ListConstructor, RefusesARaggedList) {
    try {
        const Tensor<> ragged{{1.0, 2.0}, {3.0}};
        ADD_FAILURE() << "no error for shape " << shape_str(ragged.shape());
    } catch (const ShapeError& e) {
        EXPECT_STREQ(e.what(),
                     "Tensor: the braced list is ragged: a list at depth 1 has length 1 where "
                     "the first list at that depth has length 2; every list at one depth needs "
                     "one length");
    }
}

TEST(ListConstructor, AScalarIsZeroDimensional) {
    const Tensor<> s(2.0);
    EXPECT_EQ(s.shape(), Shape{});
    const Tensor<> assigned = 3.0;
    EXPECT_EQ(assigned.dim(), 0u);
    EXPECT_EQ(assigned.item(), 3.0);
}

TEST(ListConstructor, XtensorContainersStillConvert) {
    const Tensor<> x(xt::xarray<double>{{1.0, 2.0}, {3.0, 4.0}});
    EXPECT_EQ(x.shape(), (Shape{2, 2}));
    EXPECT_EQ(x.at({1, 0}), 3.0);
}

}  // namespace
}  // namespace tg
