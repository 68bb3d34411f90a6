// tg::Array's buffer (detail/storage.hpp): copies are deep, aliases share memory, an
// assignment into shared memory writes through, and the memory lives as long as the
// last buffer over it.

#include <tapegrad/array.hpp>

#include <gtest/gtest.h>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::Array;

TEST(SharedBufferTest, CopyIsDeep) {
    Array<double> a = {1.0, 2.0, 3.0};
    Array<double> b = a;
    b(0) = 10.0;
    b += 1.0;
    EXPECT_EQ(a(0), 1.0);
    EXPECT_EQ(a(2), 3.0);
    EXPECT_FALSE(tg::detail::shares_memory(a, b));
    EXPECT_FALSE(a.storage().shared());
}

TEST(SharedBufferTest, AliasSharesMemoryAtAnOffset) {
    Array<double> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    Array<double> row = tg::detail::alias(a, tg::Shape{3}, 3);
    EXPECT_EQ(row.data(), a.data() + 3);
    EXPECT_EQ(row, (xt::xarray<double>{4.0, 5.0, 6.0}));
    EXPECT_TRUE(tg::detail::shares_memory(a, row));
    EXPECT_TRUE(a.storage().shared());
    a(1, 0) = 40.0;
    EXPECT_EQ(row(0), 40.0);
}

TEST(SharedBufferTest, AliasHasRowMajorStridesWithZeroForSizeOne) {
    Array<double> a = xt::arange<double>(6.0);
    Array<double> m = tg::detail::alias(a, tg::Shape{3, 1, 2}, 0);
    EXPECT_EQ(m(2, 0, 1), 5.0);
    EXPECT_EQ(m.strides()[0], 2);
    EXPECT_EQ(m.strides()[1], 0);  // xtensor's convention for axes of size 1
    EXPECT_EQ(xt::xarray<double>(m + 1.0)(1, 0, 0), 3.0);
}

TEST(SharedBufferTest, ComputedAssignmentWritesThroughSharedMemory) {
    // xtensor evaluates `a -= e` into a temporary and move-assigns it: a shared buffer
    // takes the values, not the temporary's memory, so the view sees the change.
    Array<double> a = {1.0, 2.0, 3.0, 4.0};
    Array<double> view = tg::detail::alias(a, tg::Shape{2, 2}, 0);
    a -= 1.0;
    EXPECT_EQ(view(1, 1), 3.0);
    a = xt::xarray<double>{5.0, 6.0, 7.0, 8.0};
    EXPECT_EQ(view(0, 0), 5.0);
    EXPECT_TRUE(tg::detail::shares_memory(a, view));
}

TEST(SharedBufferTest, UnsharedAssignmentTakesTheTemporaryOver) {
    Array<double> a = {1.0, 2.0};
    const double* before = a.data();
    a = a * 2.0;  // nothing shares a: the temporary's memory is taken over, no copy
    EXPECT_NE(a.data(), before);
    EXPECT_EQ(a(1), 4.0);
}

TEST(SharedBufferTest, ResizingASharedArrayGivesItMemoryOfItsOwn) {
    Array<double> a = {1.0, 2.0, 3.0};
    Array<double> view = tg::detail::alias(a, tg::Shape{3}, 0);
    a.resize({5});
    EXPECT_FALSE(tg::detail::shares_memory(a, view));
    EXPECT_EQ(view(2), 3.0);  // the view keeps the old memory alive
    EXPECT_FALSE(view.storage().shared());
}

TEST(SharedBufferTest, MemoryOutlivesTheOwnerWhileAViewHoldsIt) {
    Array<double> view;
    {
        Array<double> a = {7.0, 8.0, 9.0};
        view = tg::detail::alias(a, tg::Shape{2}, 1);
    }
    EXPECT_EQ(view(0), 8.0);
    EXPECT_EQ(view(1), 9.0);
    EXPECT_FALSE(view.storage().shared());
    Array<double> copy = view;  // a deep copy of a view holds only the view's elements
    EXPECT_EQ(copy.size(), 2u);
    EXPECT_FALSE(tg::detail::shares_memory(copy, view));
}

TEST(SharedBufferTest, EmptyArraysShareNothing) {
    Array<double> a = xt::zeros<double>({0});
    Array<double> b = tg::detail::alias(a, tg::Shape{0}, 0);
    EXPECT_FALSE(tg::detail::shares_memory(a, b));
}

}  // namespace
