// Nested tapes: the innermost live tape records; each tape differentiates what it saw.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <xtensor/xarray.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

xt::xarray<double> grad_of(const tg::Tensor<double>& t) { return t.grad().value(); }

TEST(NestedTapeTest, InnermostTapeIsActiveAndOuterIsRestored) {
    tg::Tape outer;
    EXPECT_EQ(tg::Tape::active(), &outer);
    {
        tg::Tape inner;
        EXPECT_EQ(tg::Tape::active(), &inner);
        {
            tg::Tape innermost;
            EXPECT_EQ(tg::Tape::active(), &innermost);
        }
        EXPECT_EQ(tg::Tape::active(), &inner);
    }
    EXPECT_EQ(tg::Tape::active(), &outer);
}

TEST(NestedTapeTest, InnerTapeRecordsOnlyWhatHappensInsideIt) {
    tg::Tape outer;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto h = w * w;
    ASSERT_EQ(outer.size(), 1u);
    {
        tg::Tape inner;
        auto z = tg::sum(h * 3.0);
        auto v = tg::sum(tg::exp(w));
        EXPECT_EQ(inner.size(), 4u);
        EXPECT_EQ(outer.size(), 1u);
        EXPECT_TRUE(z.requires_grad());
    }
    EXPECT_EQ(outer.size(), 1u);
    // The outer tape records again once the inner one is gone.
    auto s = tg::sum(h);
    EXPECT_EQ(outer.size(), 2u);
    outer.backward(s);
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{2.0, 4.0}));
}

TEST(NestedTapeTest, InnerBackwardDifferentiatesOnlyItsOwnOps) {
    tg::Tape outer;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto h = w * w;  // recorded by the outer tape
    {
        tg::Tape inner;
        auto v = tg::sum(w * 5.0 + h);
        inner.backward(v);
        // d(5w)/dw from the inner tape; the path through h belongs to the outer tape.
        EXPECT_EQ(grad_of(w), (xt::xarray<double>{5.0, 5.0}));
        EXPECT_EQ(inner.size(), 0u);
        EXPECT_EQ(outer.size(), 1u);
    }
    outer.backward(h, tg::Tensor<double>{1.0, 1.0});
    EXPECT_EQ(grad_of(w), (xt::xarray<double>{7.0, 9.0}));
}

TEST(NestedTapeTest, InnerBackwardStopsAtOuterResultsForEveryOp) {
    // exp's backward hands its input a gradient without asking needs(): the tape itself
    // must drop a gradient meant for a result of the (live) outer tape.
    tg::Tape outer;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto h = w * w;
    {
        tg::Tape inner;
        auto v = tg::sum(tg::exp(h)) + tg::sum(w * 2.0);
        inner.backward(v);
        EXPECT_EQ(grad_of(w), (xt::xarray<double>{2.0, 2.0}));
    }
    EXPECT_EQ(outer.size(), 1u);
}

TEST(NestedTapeTest, TensorBackwardUsesTheTapeThatRecordedIt) {
    tg::Tape outer;
    auto w = tg::parameter<double>(xt::xarray<double>{3.0});
    auto loss = tg::sum(w * w);
    {
        tg::Tape inner;
        loss.backward();  // goes to the outer tape although the inner one is active
        EXPECT_DOUBLE_EQ(w.grad().item(), 6.0);
        EXPECT_EQ(outer.size(), 0u);
    }
}

TEST(NestedTapeTest, BackwardOnTheWrongTapeIsError) {
    tg::Tape outer;
    auto w = tg::parameter<double>(xt::xarray<double>{3.0});
    auto loss = tg::sum(w * w);
    tg::Tape inner;
    const std::string msg = error_message<tg::GraphError>([&] { inner.backward(loss); });
    EXPECT_TRUE(contains(msg, "different tape"));
    EXPECT_FALSE(w.has_grad());
    EXPECT_EQ(outer.size(), 2u);
}

TEST(NestedTapeTest, ResultOfDestroyedInnerTapeCannotBackward) {
    tg::Tape outer;
    auto w = tg::parameter<double>(xt::xarray<double>{3.0});
    tg::Tensor<double> z;
    {
        tg::Tape inner;
        z = tg::sum(w * w);
    }
    EXPECT_THROW(z.backward(), tg::GraphError);
    EXPECT_THROW(outer.backward(z), tg::GraphError);
    EXPECT_FALSE(w.has_grad());
}

TEST(NestedTapeTest, TapesDestroyedOutOfOrder) {
    auto outer = std::make_unique<tg::Tape>();
    auto inner = std::make_unique<tg::Tape>();
    tg::Tape* inner_ptr = inner.get();
    outer.reset();
    EXPECT_EQ(tg::Tape::active(), inner_ptr);
    auto w = tg::parameter<double>(xt::xarray<double>{3.0});
    auto loss = tg::sum(w * w);
    EXPECT_EQ(inner->size(), 2u);
    inner->backward(loss);
    EXPECT_DOUBLE_EQ(w.grad().item(), 6.0);
    inner.reset();
    EXPECT_EQ(tg::Tape::active(), nullptr);
}

}  // namespace
