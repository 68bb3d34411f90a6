// tg::Profiler: the rows of a small known graph (calls per op, forward and backward), what
// the time and bytes add up to, ranges, per-thread profiles, and its one error.

#include <tapegrad/error.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/profiler.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <xtensor/xbuilder.hpp>

#include "test_helpers.hpp"

namespace {

using Kind = tg::ProfileRow::Kind;

/// The row (name, kind), or a row with 0 calls when there is none.
tg::ProfileRow find(const tg::Profiler& prof, const std::string& name, Kind kind) {
    for (const tg::ProfileRow& r : prof.rows())
        if (r.name == name && r.kind == kind) return r;
    return {name, kind, 0, 0, 0};
}

std::size_t rows_of_kind(const tg::Profiler& prof, Kind kind) {
    std::size_t n = 0;
    for (const tg::ProfileRow& r : prof.rows()) n += r.kind == kind;
    return n;
}

TEST(ProfilerTest, ListsEachOpOfAKnownGraphForwardAndBackward) {
    auto x = tg::parameter<double>(xt::ones<double>({2, 3}));
    tg::Profiler prof;
    {
        tg::ProfileGuard guard(prof);
        for (int step = 0; step < 3; ++step) {
            tg::Tape tape;
            auto loss = tg::sum(tg::tanh(tg::exp(x) * x));
            tape.backward(loss);
        }
    }
    for (const char* op : {"exp", "mul", "tanh", "sum"}) {
        EXPECT_EQ(find(prof, op, Kind::forward).calls, 3u) << op;
        EXPECT_EQ(find(prof, op, Kind::backward).calls, 3u) << op;
    }
    // The ops each backward runs are part of its row, not forward rows of their own.
    EXPECT_EQ(rows_of_kind(prof, Kind::forward), 4u) << prof.table();
    EXPECT_EQ(rows_of_kind(prof, Kind::backward), 4u) << prof.table();
    EXPECT_GT(find(prof, "tanh", Kind::backward).nanoseconds, 0);
    const std::string table = prof.table();
    EXPECT_NE(table.find("tanh"), std::string::npos);
    EXPECT_NE(table.find("backward"), std::string::npos);
}

TEST(ProfilerTest, RowsOtherThanRangesAddUpToTheProfiledTime) {
    auto x = tg::parameter<double>(xt::ones<double>({100}));
    tg::Profiler prof;
    {
        tg::ProfileGuard guard(prof);
        tg::Tape tape;
        tape.backward(tg::sum(tg::square(x)));
        tg::ProfileRange range("update");
        tg::NoGradGuard no_grad;
        x.mutable_value() -= 0.1 * x.grad().value();
    }
    std::int64_t sum = 0;
    for (const tg::ProfileRow& r : prof.rows())
        if (r.kind != Kind::range) sum += r.nanoseconds;
    EXPECT_EQ(sum, prof.profiled_nanoseconds());
    EXPECT_EQ(find(prof, "update", Kind::range).calls, 1u);
    EXPECT_GT(find(prof, "update", Kind::range).nanoseconds, 0);
}

TEST(ProfilerTest, ForwardBytesAreThePoolBlocksTheOpAllocated) {
    const tg::Tensor<double> x(xt::ones<double>({1000}));
    tg::Profiler prof;
    {
        tg::ProfileGuard guard(prof);
        auto y = tg::exp(x);  // no tape: listed all the same
    }
    // The 8,000-byte value from the 8 KiB class and its node (nothing records, so no
    // entry).
    const std::size_t bytes = find(prof, "exp", Kind::forward).bytes;
    EXPECT_GE(bytes, 8192u);
    EXPECT_LT(bytes, 8192u + 1024);
}

TEST(ProfilerTest, NothingIsCountedWithoutAGuard) {
    tg::Profiler prof;
    { tg::ProfileGuard guard(prof); }
    const std::size_t rows = prof.rows().size();
    auto y = tg::exp(tg::Tensor<double>(xt::ones<double>({3})));
    EXPECT_EQ(prof.rows().size(), rows);
    EXPECT_EQ(find(prof, "exp", Kind::forward).calls, 0u);
}

TEST(ProfilerTest, TwoThreadsProfileIndependently) {
    tg::Profiler main_prof, a_prof, b_prof;
    tg::ProfileGuard main_guard(main_prof);  // active on this thread while the others run
    auto run = [](tg::Profiler& prof, int n, bool use_exp) {
        tg::ProfileGuard guard(prof);
        tg::Tensor<double> t(xt::ones<double>({4}));
        for (int i = 0; i < n; ++i) t = use_exp ? tg::exp(t) : tg::tanh(t);
    };
    std::thread a(run, std::ref(a_prof), 5, false);
    std::thread b(run, std::ref(b_prof), 7, true);
    a.join();
    b.join();
    EXPECT_EQ(find(a_prof, "tanh", Kind::forward).calls, 5u);
    EXPECT_EQ(find(a_prof, "exp", Kind::forward).calls, 0u);
    EXPECT_EQ(find(b_prof, "exp", Kind::forward).calls, 7u);
    EXPECT_EQ(find(b_prof, "tanh", Kind::forward).calls, 0u);
    EXPECT_EQ(find(main_prof, "tanh", Kind::forward).calls, 0u);
    EXPECT_EQ(find(main_prof, "exp", Kind::forward).calls, 0u);
}

TEST(ProfilerTest, ABackwardThatThrowsLeavesTheProfileCounting) {
    auto w = tg::parameter<double>(xt::xarray<double>{1.0, 2.0});
    auto u = tg::parameter<double>(xt::xarray<double>{3.0, 4.0});
    tg::Profiler prof;
    tg::ProfileGuard guard(prof);
    {
        tg::Tape tape;
        auto loss = tg::sum(w * u);               // mul saves w
        w.assign(tg::Array<double>{10.0, 20.0});  // so mul's backward throws
        EXPECT_THROW(tape.backward(loss), tg::GraphError);
    }
    EXPECT_EQ(find(prof, "mul", Kind::backward).calls, 1u);
    auto y = tg::exp(u);  // forward rows are counted again after the failed sweep
    EXPECT_EQ(find(prof, "exp", Kind::forward).calls, 1u);
}

TEST(ProfilerTest, OneProfilerInTwoActiveGuardsIsRefused) {
    tg::Profiler prof;
    tg::ProfileGuard guard(prof);
    const std::string message =
        tg::test::error_message<tg::ValueError>([&] { tg::ProfileGuard again(prof); });
    EXPECT_TRUE(tg::test::contains(
        message, "ProfileGuard: this Profiler is already filled by an active guard"));
}

}  // namespace
