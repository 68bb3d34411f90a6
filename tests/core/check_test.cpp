// TG_CHECK, tg::detail::message and the named checks of <tapegrad/check.hpp>: each kind of
// part is written as the messages wrote it by hand before (std::to_string, shape_str), a
// passing check evaluates none of its parts, a failing one throws the named type.
// tests/check_floating_point_probe.cpp (ctest check_refuses_floating_point) shows
// that a floating-point part does not compile.

#include "test_helpers.hpp"

#include <tapegrad/array.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/error.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace {

using tg::detail::message;
using tg::test::error_message;

TEST(Message, EachKindOfPart) {
    const std::string op = "sum";
    const char* what = "axis";
    EXPECT_EQ(message(op, ": ", what, ' ', -2L, " of ", std::size_t{3}, ", ", 7, '.'),
              "sum: axis -2 of 3, 7.");
    EXPECT_EQ(message(), "");
}

TEST(Message, IntegersAsToStringWritesThem) {
    EXPECT_EQ(message(std::size_t{18446744073709551615ULL}), "18446744073709551615");
    EXPECT_EQ(message(-9223372036854775807L - 1), "-9223372036854775808");
    EXPECT_EQ(message(static_cast<unsigned char>(200)), "200");  // a number, not a char
    EXPECT_EQ(message(std::to_string(0.5)), "0.500000");         // floats: the caller's choice
}

TEST(Message, ShapesAsShapeStrWritesThem) {
    const tg::Shape shape{2, 3};
    EXPECT_EQ(message("got ", shape), "got (2, 3)");
    EXPECT_EQ(message(tg::Shape{}), "()");
    EXPECT_EQ(message(std::vector<std::size_t>{4}), "(4)");
    EXPECT_EQ(message(tg::Axes{0, -1}), "(0, -1)");
    EXPECT_EQ(message(shape), tg::shape_str(shape));
}

/// A part whose evaluation is counted.
std::string counted(int& evaluations) {
    ++evaluations;
    return "part";
}

TEST(TgCheck, PassingCheckEvaluatesNoPart) {
    int evaluations = 0;
    TG_CHECK(1 + 1 == 2, tg::ValueError, "never ", counted(evaluations));
    EXPECT_EQ(evaluations, 0);
}

TEST(TgCheck, FailingCheckThrowsTheNamedTypeWithTheMessage) {
    int evaluations = 0;
    const tg::Shape shape{2, 0};
    const std::string msg = error_message<tg::ShapeError>([&] {
        TG_CHECK(shape[1] > 0, tg::ShapeError, "max: axis ", 1, " of shape ", shape, " is ",
                 counted(evaluations));
    });
    EXPECT_EQ(msg, "max: axis 1 of shape (2, 0) is part");
    EXPECT_EQ(evaluations, 1);
    EXPECT_THROW(TG_CHECK(false, tg::GraphError, "x"), tg::GraphError);
}

TEST(TgCheck, IsOneStatement) {
    // An if without braces around TG_CHECK keeps its else.
    bool took_else = false;
    if (false)
        TG_CHECK(false, tg::ValueError, "unreachable");
    else
        took_else = true;
    EXPECT_TRUE(took_else);
}

TEST(CheckNonNegative, ListsEverySettingWhenOneFails) {
    EXPECT_NO_THROW(tg::detail::check_non_negative("SGD", {{"momentum", 0}, {"weight_decay", 1}}));
    EXPECT_EQ(error_message<tg::ValueError>([] {
                  tg::detail::check_non_negative(
                      "RMSprop",
                      {{"alpha", 0.99}, {"eps", -1e-8}, {"weight_decay", 0}, {"momentum", 0}});
              }),
              "RMSprop: alpha (0.990000), eps (-0.000000), weight_decay (0.000000) and momentum "
              "(0.000000) must be >= 0");
    EXPECT_EQ(error_message<tg::ValueError>([] {
                  tg::detail::check_non_negative("Adam", {{"eps", 0}, {"weight_decay", -1}});
              }),
              "Adam: eps (0.000000) and weight_decay (-1.000000) must be >= 0");
    EXPECT_EQ(error_message<tg::ValueError>([] {
                  tg::detail::check_non_negative("clip_grad_value_", {{"clip_value", -0.5}});
              }),
              "clip_grad_value_: clip_value (-0.500000) must be >= 0");
}

TEST(CheckNonNegative, NanFails) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(tg::detail::check_non_negative("SGD", {{"momentum", nan}}), tg::ValueError);
}

}  // namespace
