// The version counter: a saved tensor changed in place after it was recorded makes
// backward refuse to run instead of giving silently wrong gradients.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <xtensor/xarray.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

xt::xarray<double> val(const tg::Tensor<double>& t) { return t.value(); }

TEST(VersionCounterTest, AssignAfterRecordingBreaksBackward) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto u = tg::parameter<double>(xt::xarray<double>{3.0, 4.0});
    auto loss = tg::sum(w * u);  // mul saves w (version 0) for d/du = w
    w.assign(tg::Array<double>{10.0, 20.0});
    EXPECT_EQ(w.version(), 1u);
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(msg,
                         "backward of 'mul': saved tensor #0 of shape (2) was changed in "
                         "place after it was recorded (version 0 when saved, 1 now)"));
    EXPECT_FALSE(w.has_grad());
    EXPECT_FALSE(u.has_grad());
}

TEST(VersionCounterTest, MutableValueOfSavedConstantBreaksBackward) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto x = tg::Tensor<double>{3.0, 4.0};  // a constant, but saved by mul for w's gradient
    auto loss = tg::sum(tg::exp(w) * x);
    x.mutable_value()(0) = 0.0;
    x.mutable_value()(1) = 0.0;
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(msg, "'mul'"));
    EXPECT_TRUE(contains(msg, "version 0"));
    EXPECT_TRUE(contains(msg, "2 now"));
}

TEST(VersionCounterTest, GradientAlsoChecksVersions) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(tg::log(w));  // log saves its input
    {
        tg::NoGradGuard no_grad;  // an optimizer-style update still counts
        w.mutable_value() *= 2.0;
    }
    const std::string msg = error_message<tg::GraphError>([&] { tape.gradient(loss, {w}); });
    EXPECT_TRUE(contains(msg, "'log'"));
}

TEST(VersionCounterTest, ChangingATensorNoEntrySavedIsFine) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w + 1.0);  // add and sum save nothing
    w.assign(tg::Array<double>{5.0, 6.0});
    tape.backward(loss);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{1.0, 1.0}));
}

TEST(VersionCounterTest, ChangeAfterBackwardThenNewForwardIsFine) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    tape.backward(tg::sum(w * w));
    w.assign(tg::Array<double>{3.0, 4.0});
    w.zero_grad();
    tape.backward(tg::sum(w * w));
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{6.0, 8.0}));
}

TEST(VersionCounterTest, RetainedGraphRefusesAfterUpdate) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    tape.backward(loss, tg::BackwardOptions{true});
    ASSERT_EQ(val(w.grad()), (xt::xarray<double>{2.0, 4.0}));
    w.mutable_value() -= 0.5;
    EXPECT_THROW(tape.backward(loss), tg::GraphError);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{2.0, 4.0}));
}

TEST(VersionCounterTest, SavedOutputsOfOpsAreProtectedToo) {
    // exp saves its output; outputs of recorded ops cannot be changed in place at all.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0});
    auto y = tg::exp(w);
    EXPECT_THROW(y.mutable_value(), tg::GraphError);
    EXPECT_EQ(y.version(), 0u);
    tape.backward(tg::sum(y));
    EXPECT_TRUE(w.has_grad());
}

}  // namespace
