// A tape belongs to the thread that made it: other threads have their own tapes and
// cannot run backward on it. The modes are per thread too, and tg::ThreadModes carries
// them into a worker.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <xtensor/xarray.hpp>

namespace {

using tg::test::contains;

/// Runs `f` on a new thread; returns what it threw: "<kind>: <message>", or "" if nothing.
std::string throw_on_other_thread(const std::function<void()>& f) {
    std::string result;
    std::thread t([&] {
        try {
            f();
        } catch (const tg::GraphError& e) {
            result = std::string("GraphError: ") + e.what();
        } catch (const std::exception& e) {
            result = std::string("other: ") + e.what();
        }
    });
    t.join();
    return result;
}

TEST(TapeThreadTest, BackwardFromAnotherThreadIsGraphError) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    const std::string msg = throw_on_other_thread([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(msg, "GraphError: "));
    EXPECT_TRUE(contains(msg, "another thread"));
    EXPECT_FALSE(w.has_grad());
    EXPECT_EQ(tape.size(), 2u);
    // The owning thread still can.
    tape.backward(loss);
    EXPECT_EQ(xt::xarray<double>(w.grad().value()), (xt::xarray<double>{2.0, 4.0}));
}

TEST(TapeThreadTest, GradientAndClearFromAnotherThreadAreGraphErrors) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    EXPECT_TRUE(contains(throw_on_other_thread([&] { tape.gradient(loss, {w}); }), "GraphError: "));
    EXPECT_TRUE(contains(throw_on_other_thread([&] { tape.clear(); }), "another thread"));
    EXPECT_EQ(tape.size(), 2u);
}

TEST(TapeThreadTest, TensorBackwardFromAnotherThreadNamesTheThreadProblem) {
    // loss.backward() on a thread that does not own the recording tape: the tape is
    // alive and unreleased, so the error should say it belongs to another thread rather
    // than suggesting retain_graph.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto loss = tg::sum(w * w);
    const std::string msg = throw_on_other_thread([&] { loss.backward(); });
    EXPECT_TRUE(contains(msg, "GraphError: "));
    EXPECT_TRUE(contains(msg, "thread"));
    EXPECT_FALSE(w.has_grad());
}

TEST(TapeThreadTest, ResultsDroppedOnAnotherThreadAreReleased) {
    // The tape learns that a result died from its use count, whichever thread dropped it.
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    tg::Tensor<double> loss = tg::sum(w * w);
    ASSERT_EQ(tape.size(), 2u);
    std::thread([held = std::move(loss)]() mutable { held = tg::Tensor<double>(); }).join();
    EXPECT_EQ(tape.size(), 0u) << tape.dump();
}

TEST(TapeThreadTest, EachThreadHasItsOwnActiveTape) {
    tg::Tape tape;
    bool other_saw_no_tape = false;
    bool other_recorded = true;
    double other_grad = 0.0;
    std::thread t([&] {
        other_saw_no_tape = tg::Tape::active() == nullptr;
        auto v = tg::parameter<double>(xt::xarray<double>{5.0});
        auto unrecorded = v * v;  // no tape on this thread
        other_recorded = unrecorded.requires_grad();
        tg::Tape own;
        auto loss = tg::sum(v * v * v);
        own.backward(loss);
        other_grad = v.grad().item();
    });
    t.join();
    EXPECT_TRUE(other_saw_no_tape);
    EXPECT_FALSE(other_recorded);
    EXPECT_DOUBLE_EQ(other_grad, 75.0);
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_EQ(tg::Tape::active(), &tape);
}

TEST(TapeThreadTest, GradModeIsPerThread) {
    tg::NoGradGuard no_grad;
    bool enabled_elsewhere = false;
    std::thread t([&] { enabled_elsewhere = tg::is_grad_enabled(); });
    t.join();
    EXPECT_TRUE(enabled_elsewhere);
    EXPECT_FALSE(tg::is_grad_enabled());
}

TEST(TapeThreadTest, ThreadModesCarryTheSwitchesIntoAnotherThread) {
    tg::NoGradGuard no_grad;
    tg::DetectAnomalyGuard anomaly;
    tg::Tape tape(tg::TapeOptions{true});
    const tg::ThreadModes modes = tg::thread_modes();
    EXPECT_FALSE(modes.grad_enabled);
    EXPECT_TRUE(modes.anomaly);
    EXPECT_TRUE(modes.tape_anomaly);
    tg::ThreadModes inside, after;
    std::thread t([&] {
        {
            const tg::ThreadModesGuard carried(modes);
            inside = tg::thread_modes();
        }
        after = tg::thread_modes();
    });
    t.join();
    EXPECT_FALSE(inside.grad_enabled);
    EXPECT_TRUE(inside.anomaly);
    EXPECT_FALSE(inside.tape_anomaly);  // that thread has no tape: its worker makes one
    EXPECT_TRUE(after.grad_enabled);    // restored
    EXPECT_FALSE(after.anomaly);
}

}  // namespace
