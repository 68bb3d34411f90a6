// numpy broadcasting helpers (tapegrad/broadcast.hpp).

#include "test_helpers.hpp"

#include <tapegrad/broadcast.hpp>
#include <tapegrad/error.hpp>

#include <gtest/gtest.h>

namespace {

using tg::Shape;
using tg::detail::broadcast_shapes;
using tg::detail::broadcasts_to;
using tg::detail::normalize_axis;
using tg::test::contains;
using tg::test::error_message;

TEST(BroadcastTest, ShapesAlignFromTheRight) {
    EXPECT_EQ(broadcast_shapes("add", {2, 3}, {2, 3}), (Shape{2, 3}));
    EXPECT_EQ(broadcast_shapes("add", {2, 3}, {3}), (Shape{2, 3}));
    EXPECT_EQ(broadcast_shapes("add", {3}, {2, 3}), (Shape{2, 3}));
    EXPECT_EQ(broadcast_shapes("add", {2, 1}, {1, 3}), (Shape{2, 3}));
    EXPECT_EQ(broadcast_shapes("add", {}, {4, 5}), (Shape{4, 5}));
    EXPECT_EQ(broadcast_shapes("add", {}, {}), Shape{});
    EXPECT_EQ(broadcast_shapes("mul", {5, 1, 4}, {3, 1}), (Shape{5, 3, 4}));
    EXPECT_EQ(broadcast_shapes("mul", {0, 1}, {1, 3}), (Shape{0, 3}));
}

TEST(BroadcastTest, IncompatibleShapesNameOpAndBothShapes) {
    const std::string msg = error_message<tg::ShapeError>([] {
        broadcast_shapes("mul", {2, 3}, {4, 2});
    });
    EXPECT_TRUE(contains(msg, "mul"));
    EXPECT_TRUE(contains(msg, "(2, 3)"));
    EXPECT_TRUE(contains(msg, "(4, 2)"));
    EXPECT_THROW(broadcast_shapes("add", {3}, {4}), tg::ShapeError);
    EXPECT_THROW(broadcast_shapes("add", {2, 3}, {2}), tg::ShapeError);
}

TEST(BroadcastTest, BroadcastsTo) {
    EXPECT_TRUE(broadcasts_to({3}, {2, 3}));
    EXPECT_TRUE(broadcasts_to({1, 3}, {2, 3}));
    EXPECT_TRUE(broadcasts_to({}, {2, 3}));
    EXPECT_TRUE(broadcasts_to({2, 3}, {2, 3}));
    EXPECT_FALSE(broadcasts_to({2, 3}, {3}));
    EXPECT_FALSE(broadcasts_to({2}, {2, 3}));
    EXPECT_FALSE(broadcasts_to({2, 3}, {1, 3}));
}

TEST(BroadcastTest, NormalizeAxis) {
    EXPECT_EQ(normalize_axis("sum", 0, 3), 0u);
    EXPECT_EQ(normalize_axis("sum", 2, 3), 2u);
    EXPECT_EQ(normalize_axis("sum", -1, 3), 2u);
    EXPECT_EQ(normalize_axis("sum", -3, 3), 0u);
    const std::string msg = error_message<tg::ValueError>([] { normalize_axis("softmax", 3, 3); });
    EXPECT_TRUE(contains(msg, "softmax"));
    EXPECT_TRUE(contains(msg, "axis 3"));
    EXPECT_THROW(normalize_axis("sum", -4, 3), tg::ValueError);
    EXPECT_THROW(normalize_axis("sum", 0, 0), tg::ValueError);
}

TEST(BroadcastTest, ShapeStr) {
    EXPECT_EQ(tg::shape_str(Shape{}), "()");
    EXPECT_EQ(tg::shape_str(Shape{7}), "(7)");
    EXPECT_EQ(tg::shape_str(Shape{2, 3, 4}), "(2, 3, 4)");
}

}  // namespace
