// What the tape keeps: an entry that no handle, saved tensor or later kept entry can
// reach is released (dropped passes leave the tape as it was), backward releases only
// the entries its sweep ran, each as soon as its backward is done.

#include "test_helpers.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <utility>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>

namespace {

using tg::test::contains;
using tg::test::error_message;

xt::xarray<double> val(const tg::Tensor<double>& t) { return t.value(); }

/// A small network's loss: matmul, add, tanh (saves its output), mul, sum.
tg::Tensor<double> network_loss(const tg::Tensor<double>& x, const tg::Tensor<double>& w,
                                const tg::Tensor<double>& b) {
    const auto h = tg::tanh(tg::matmul(x, w) + b);
    return tg::sum(h * h);
}

struct Net {
    tg::Tensor<double> x{{0.5, -1.0, 2.0}, {1.5, 0.25, -0.5}};
    tg::Tensor<double> w =
        tg::parameter<double>(xt::xarray<double>{{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}});
    tg::Tensor<double> b = tg::parameter<double>(xt::xarray<double>{0.05, -0.05});
    tg::Tensor<double> loss() const { return network_loss(x, w, b); }
};

TEST(TapeMemory, DroppedPassesLeaveTheTapeAsItWas) {
    Net net;
    tg::Tape tape;
    for (int pass = 0; pass < 4; ++pass) (void)net.loss();  // evaluation without NoGradGuard
    EXPECT_EQ(tape.size(), 0u) << tape.dump();
    EXPECT_EQ(tape.bytes(), 0u);

    // The same beside a pass that is kept: its entries and bytes stay, exactly.
    const tg::Tensor<double> loss = net.loss();
    const std::size_t entries = tape.size(), bytes = tape.bytes();
    ASSERT_EQ(entries, 5u) << tape.dump();
    ASSERT_GT(bytes, 0u);
    for (int pass = 0; pass < 4; ++pass) (void)net.loss();
    EXPECT_EQ(tape.size(), entries) << tape.dump();
    EXPECT_EQ(tape.bytes(), bytes);

    // The kept pass still runs backward, and gives what a tape holding only it gives.
    tape.backward(loss);
    EXPECT_EQ(tape.size(), 0u);
    Net fresh;
    {
        tg::Tape alone;
        alone.backward(fresh.loss());
    }
    EXPECT_EQ(val(net.w.grad()), val(fresh.w.grad()));
    EXPECT_EQ(val(net.b.grad()), val(fresh.b.grad()));
}

TEST(TapeMemory, AHeldIntermediateKeepsWhatItNeeds) {
    Net net;
    tg::Tape tape;
    tg::Tensor<double> h;
    {
        const auto z = tg::matmul(net.x, net.w) + net.b;  // entries 0, 1
        h = tg::tanh(z);                                  // entry 2
        (void)tg::sum(h * h);                             // entries 3, 4: dropped
    }
    EXPECT_EQ(tape.size(), 3u) << tape.dump();
    // tanh's own saved output does not keep it; the handle h does.
    h = tg::Tensor<double>();
    EXPECT_EQ(tape.size(), 0u) << tape.dump();
}

TEST(TapeMemory, AnEntryThatSavedAResultKeepsThatResultsEntry) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.5, 1.5});
    tg::Tensor<double> z;
    {
        const auto y = tg::exp(w);  // entry 0, saves y
        z = y * y;                  // entry 1, saves y twice
    }
    EXPECT_EQ(tape.size(), 2u) << tape.dump();
    tape.backward(z, tg::Tensor<double>{1.0, 1.0});  // d exp(w)² / dw = 2 exp(2w)
    EXPECT_NEAR(w.grad().value()(1), 2.0 * std::exp(3.0), 1e-12);
    EXPECT_EQ(tape.size(), 0u);
}

TEST(TapeMemory, RecordingReleasesDroppedPassesWithoutBeingAsked) {
    // No size() or backward in the loop: append() scans once the tape has doubled, so a
    // loop of dropped passes does not grow the tape. The saved tensors of the first pass
    // are freed long before the last pass.
    Net net;
    tg::Tape tape;
    std::weak_ptr<tg::detail::Node<double>> first_saved;
    {
        const auto y = tg::exp(net.b);  // saves y: only the entry holds it once y is dropped
        first_saved = y.node();
    }
    EXPECT_FALSE(first_saved.expired());  // nothing scanned yet
    for (int pass = 0; pass < 200; ++pass) (void)net.loss();
    EXPECT_TRUE(first_saved.expired());
}

TEST(TapeMemory, ALeafOnlyTheTapeHoldsLivesUntilTheSweepHasAddedItsGradient) {
    // The sweep releases each entry once its backward ran; a leaf whose handles were all
    // dropped is held by those entries only, and gets its gradient at the sweep's end, so
    // the sweep keeps it alive until then (before, the node was freed mid-sweep and the
    // gradient written into freed memory: LeakSanitizer saw the gradient leak).
    std::weak_ptr<tg::detail::Node<double>> watch;
    tg::Tape tape;
    tg::Tensor<double> y;
    {
        tg::Tensor<double> w = tg::parameter<double>(xt::xarray<double>{{1.0, 0.5}});
        watch = w.node();
        tg::Tensor<double> h = w;
        for (int step = 0; step < 3; ++step) h = tg::tanh(h) * w;
        y = tg::sum(h);
    }
    ASSERT_FALSE(watch.expired());  // the tape's entries hold it
    tape.backward(y);
    EXPECT_TRUE(watch.expired());  // released with the entries, its gradient with it
}

TEST(TapeMemory, TwoLossesOnOneTapeEachRunBackward) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.5, -1.0});
    const auto loss1 = tg::sum(w * w);       // entries 0, 1
    const auto loss2 = tg::sum(tg::exp(w));  // entries 2, 3
    tape.backward(loss1);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{1.0, -2.0}));
    EXPECT_EQ(tape.size(), 2u) << "loss2's entries stay";
    tape.backward(loss2);
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{1.0 + std::exp(0.5), -2.0 + std::exp(-1.0)}));
    EXPECT_EQ(tape.size(), 0u);

    // tape.gradient too releases only what it ran.
    const auto l1 = tg::sum(w * 3.0), l2 = tg::sum(w * w * w);
    EXPECT_EQ(val(tape.gradient(l2, {w})[0]), (xt::xarray<double>{0.75, 3.0}));
    EXPECT_EQ(val(tape.gradient(l1, {w})[0]), (xt::xarray<double>{3.0, 3.0}));
}

TEST(TapeMemory, ASecondLossThroughEntriesAnEarlierBackwardRanIsReleasedError) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{0.5, -1.0});
    const auto h = tg::tanh(w);  // shared by both losses
    const auto loss1 = tg::sum(h * 2.0), loss2 = tg::sum(h * h);
    tape.backward(loss1);
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss2); });
    EXPECT_TRUE(contains(msg, "backward of 'mul' reached input #"));
    EXPECT_TRUE(contains(msg, "released"));
    EXPECT_TRUE(contains(msg, "retain_graph"));
    const xt::xarray<double> first = val(w.grad());

    // With retain_graph on the first, both run (as in PyTorch).
    const auto g = tg::tanh(w);
    const auto a = tg::sum(g * 2.0), b = tg::sum(g * g);
    tape.backward(a, tg::BackwardOptions{true});
    tape.backward(b);
    const xt::xarray<double> t = xt::tanh(xt::xarray<double>{0.5, -1.0});
    EXPECT_TRUE(xt::allclose(val(w.grad()), first + (2.0 + 2.0 * t) * (1.0 - t * t)));
}

TEST(TapeMemory, AResultOfARanEntryUsedAgainIsReleasedError) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    const auto other = tg::sum(w * 5.0);  // keeps the tape from emptying (same epoch)
    const auto h = w * w;
    tape.backward(tg::sum(h));
    const auto loss = tg::sum(h * 3.0);  // h's entry ran: recorded as released
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(msg, "backward of 'mul' reached input #0"));
    EXPECT_TRUE(contains(msg, "released"));
    tape.backward(other);  // the rest of the tape is fine
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{7.0, 9.0}));
}

TEST(TapeMemory, AReleasedResultDoesNotFindTheEntryThatReusedItsIndex) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    const auto kept = tg::exp(w);   // entry 0, stays
    const auto a = tg::sum(w * w);  // entries 1, 2
    tape.backward(a);               // releases 1, 2: the tape is one entry long again
    const auto b = tg::sum(w * w);  // entries 1, 2 once more
    ASSERT_EQ(b.node()->entry, a.node()->entry);
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(a); });
    EXPECT_TRUE(contains(msg, "released"));
    EXPECT_EQ(val(w.grad()), (xt::xarray<double>{2.0, 4.0}));
    EXPECT_EQ(val(tape.gradient(b, {w})[0]), (xt::xarray<double>{2.0, 4.0}));
    EXPECT_EQ(tape.size(), 1u);
    (void)kept;
}

/// y = x, recorded; its backward notes tape.bytes() and tape.size() when it runs.
tg::Tensor<double> probe(const tg::Tensor<double>& x, tg::Tape& tape,
                         std::vector<std::pair<std::size_t, std::size_t>>& seen) {
    tg::Tensor<double> y(tg::Array<double>(x.value()));
    tg::record("probe", {x}, y, {}, [&tape, &seen](tg::BackwardContext<double>& c) {
        seen.push_back({tape.bytes(), tape.size()});
        c.add(0, c.grad());
    });
    return y;
}

TEST(TapeMemory, BytesFallDuringASweepWithoutRetainGraph) {
    const std::size_t n = 1000, saved = n * sizeof(double);  // each exp saves its output
    for (const bool retain : {false, true}) {
        SCOPED_TRACE(retain ? "retain_graph" : "no retain_graph");
        tg::Tape tape;
        auto w = tg::parameter<double>(xt::xarray<double>(xt::linspace(-1.0, 1.0, n)));
        std::vector<std::pair<std::size_t, std::size_t>> seen;
        // probe, exp, probe, exp, probe, sum: the sweep runs them from the end.
        const auto loss =
            tg::sum(probe(tg::exp(probe(tg::exp(probe(w, tape, seen)), tape, seen)), tape, seen));
        ASSERT_EQ(tape.bytes(), 2 * saved);
        tape.backward(loss, tg::BackwardOptions{retain});
        ASSERT_EQ(seen.size(), 3u);
        if (retain) {
            for (const auto& [bytes, entries] : seen) {
                EXPECT_EQ(bytes, 2 * saved);
                EXPECT_EQ(entries, 6u);
            }
        } else {
            // At each probe, the entries after it are gone, saved tensors and all.
            using Seen = std::pair<std::size_t, std::size_t>;
            EXPECT_EQ(seen[0], Seen(2 * saved, 5));
            EXPECT_EQ(seen[1], Seen(saved, 3));
            EXPECT_EQ(seen[2], Seen(0, 1));
        }
        const xt::xarray<double> x = xt::linspace(-1.0, 1.0, n);
        EXPECT_TRUE(xt::allclose(val(w.grad()), xt::exp(xt::exp(x)) * xt::exp(x)));
        EXPECT_EQ(tape.size(), retain ? 6u : 0u);
    }
}

TEST(TapeMemory, AFailedSweepWithoutRetainGraphReleasedWhatRanAndTheRestStays) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto v = tg::parameter<double>(xt::xarray<double>{3.0});
    const auto other = tg::sum(v * v);  // entries 0, 1: another graph
    const auto loss = tg::sum(tg::exp(w * w));
    w.assign(tg::Array<double>{0.0, 0.0});  // mul saved w: its backward refuses
    EXPECT_THROW(tape.backward(loss), tg::GraphError);
    EXPECT_FALSE(w.has_grad());
    // sum and exp ran and are released; mul, reached only from them, went with them.
    EXPECT_EQ(tape.size(), 2u) << tape.dump();
    const std::string msg = error_message<tg::GraphError>([&] { tape.backward(loss); });
    EXPECT_TRUE(contains(msg, "released"));
    tape.backward(other);
    EXPECT_DOUBLE_EQ(v.grad().item(), 6.0);
}

}  // namespace
