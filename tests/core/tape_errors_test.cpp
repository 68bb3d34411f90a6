// Misuse of the tape raises a tg::Error subclass whose message says what to do.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <type_traits>
#include <xtensor/xarray.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

xt::xarray<double> val(const tg::Tensor<double>& t) { return t.value(); }

TEST(TapeErrorsTest, ErrorHierarchy) {
    static_assert(std::is_base_of_v<std::runtime_error, tg::Error>);
    static_assert(std::is_base_of_v<tg::Error, tg::ShapeError>);
    static_assert(std::is_base_of_v<tg::Error, tg::GraphError>);
    static_assert(std::is_base_of_v<tg::Error, tg::ValueError>);
    static_assert(std::is_base_of_v<tg::Error, tg::AnomalyError>);
    static_assert(std::is_base_of_v<tg::Error, tg::IoError>);
    SUCCEED();
}

TEST(TapeErrorsTest, NonScalarLossWithoutSeedNamesOpAndShape) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    auto y = tg::exp(w);
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(y); });
    EXPECT_TRUE(contains(msg,
                         "backward: the output of 'exp' has shape (2, 3) (6 elements); "
                         "backward needs a one-element loss, or pass a seed"));
    EXPECT_FALSE(w.has_grad());
    EXPECT_EQ(tape.size(), 1u);  // not released: the caller can retry with a seed

    const std::string msg2 = error_message<tg::GraphError>([&] { y.backward(); });
    EXPECT_TRUE(contains(msg2, "'exp'"));

    tape.backward(y, tg::Tensor<double>(xt::ones<double>({2, 3})));
    EXPECT_TRUE(w.has_grad());
}

TEST(TapeErrorsTest, NonScalarOutputInGradientWithoutSeed) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto y = w * w;
    const std::string msg = error_message<tg::GraphError>([&] { tape.gradient(y, {w}); });
    EXPECT_TRUE(contains(msg, "'mul'"));
    EXPECT_TRUE(contains(msg, "(2)"));
}

TEST(TapeErrorsTest, SeedOfWrongShapeIsShapeError) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    auto y = w * 2.0;
    const std::string msg = error_message<tg::ShapeError>([&] {
        tape.backward(y, tg::Tensor<double>{1.0, 1.0, 1.0});
    });
    EXPECT_TRUE(contains(msg,
                         "backward: seed of shape (3) does not match the shape (2, 3) of "
                         "the output of 'mul'"));
    EXPECT_FALSE(w.has_grad());

    const std::string msg2 = error_message<tg::ShapeError>([&] {
        tape.gradient(y, {w}, tg::Tensor<double>(xt::ones<double>({3, 2})));
    });
    EXPECT_TRUE(contains(msg2, "(3, 2)"));
    EXPECT_TRUE(contains(msg2, "(2, 3)"));

    // Scalar loss with a one-element seed of another shape is still a shape error.
    auto s = tg::sum(w);
    EXPECT_THROW(tape.backward(s, tg::Tensor<double>{1.0}), tg::ShapeError);
    EXPECT_EQ(tape.size(), 2u);
}

TEST(TapeErrorsTest, BackwardWithNoTapeSaysCreateATape) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);  // no tape alive: nothing recorded
    const std::string msg = error_message<tg::GraphError>([&] { loss.backward(); });
    EXPECT_TRUE(contains(
        msg, "no active tape recorded this tensor: create a tg::Tape before the forward pass"));
    EXPECT_FALSE(w.has_grad());
}

TEST(TapeErrorsTest, TapeCreatedAfterForwardPassSaysCreateATape) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    tg::Tape tape;  // too late
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(
        msg, "no active tape recorded this tensor: create a tg::Tape before the forward pass"));
    const std::string msg2 = error_message<tg::GraphError>([&] { loss.backward(); });
    EXPECT_TRUE(contains(msg2, "create a tg::Tape before the forward pass"));
}

TEST(TapeErrorsTest, BackwardAfterTapeIsGone) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    tg::Tensor<double> loss;
    {
        tg::Tape tape;
        loss = tg::sum(w * w);
    }
    const std::string msg = error_message<tg::GraphError>([&] { loss.backward(); });
    EXPECT_TRUE(contains(msg, "gone"));
    EXPECT_FALSE(w.has_grad());
}

TEST(TapeErrorsTest, ReusingResultOfReleasedGraphIsError) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto h = w * w;
    tape.backward(tg::sum(h));
    ASSERT_EQ(val(w.grad()), (xt::xarray<double>{2.0, 4.0}));
    // h belongs to released entries; a new graph through it cannot reach w.
    auto loss = tg::sum(h * 3.0);
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(msg, "'mul'"));
    EXPECT_TRUE(contains(msg, "released"));
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{2.0, 4.0}));
}

TEST(TapeErrorsTest, UndefinedTensorsAreValueErrors) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0});
    auto y = tg::sum(w * w);
    EXPECT_THROW(tape.backward(tg::Tensor<double>()), tg::ValueError);
    EXPECT_THROW(tape.backward(y, tg::Tensor<double>()), tg::ValueError);
    const std::string msg = error_message<tg::ValueError>([&] {
        tape.gradient(y, {w, tg::Tensor<double>()});
    });
    EXPECT_TRUE(contains(msg, "#1"));
    EXPECT_EQ(tape.size(), 2u);
}

}  // namespace
