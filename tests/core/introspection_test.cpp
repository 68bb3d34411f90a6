// Tape introspection: size(), bytes(), dump(), to_dot().

#include "test_helpers.hpp"

#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::test::contains;

TEST(IntrospectionTest, EmptyTape) {
    tg::Tape tape;
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_EQ(tape.bytes(), 0u);
    EXPECT_TRUE(contains(tape.dump(), "0 entries"));
    EXPECT_EQ(tape.to_dot().rfind("digraph", 0), 0u);
}

TEST(IntrospectionTest, SizeCountsEntries) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::ones<double>({2, 3}));
    auto a = w * 2.0;     // mul
    auto b = a - 1.0;     // add (of -1)
    auto c = tg::exp(b);  // exp
    auto d = tg::sum(c);  // sum
    EXPECT_EQ(tape.size(), 4u);
    auto e = d - tg::sum(w);  // sum, neg, add
    EXPECT_EQ(tape.size(), 7u);
    (void)e;
}

TEST(IntrospectionTest, BytesCountSavedTensors) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::ones<double>({2, 3}));
    auto x = tg::Tensor<double>(xt::ones<double>({2, 3}));
    auto s = w + x;  // add saves nothing
    EXPECT_EQ(tape.size(), 1u);
    EXPECT_EQ(tape.bytes(), 0u);
    auto p = w * x;  // mul saves both inputs: 2 × 6 doubles
    EXPECT_EQ(tape.bytes(), 2 * 6 * sizeof(double));
    auto e = tg::exp(p);  // exp saves its output
    EXPECT_EQ(tape.bytes(), 3 * 6 * sizeof(double));
    (void)s;
    (void)e;
}

TEST(IntrospectionTest, BytesOfFloatTensors) {
    tg::Tape tape;
    auto w = tg::parameter<float>(xt::ones<float>({4, 5}));
    auto p = w * w;
    EXPECT_EQ(tape.bytes(), 2 * 20 * sizeof(float));
    (void)p;
}

TEST(IntrospectionTest, DumpNamesOpsShapesAndBytes) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::ones<double>({2, 3}));
    auto v = tg::parameter<double>(xt::ones<double>({3}));
    auto p = w * v;  // broadcast (2, 3) * (3)
    auto l = tg::sum(tg::exp(p));
    (void)l;
    const std::string dump = tape.dump();
    EXPECT_TRUE(contains(dump, "3 entries"));
    EXPECT_TRUE(contains(dump, "mul"));
    EXPECT_TRUE(contains(dump, "exp"));
    EXPECT_TRUE(contains(dump, "sum"));
    EXPECT_TRUE(contains(dump, "(2, 3), (3) -> (2, 3)"));
    EXPECT_TRUE(contains(dump, "(2, 3) -> ()"));
    EXPECT_TRUE(
        contains(dump, std::to_string((6 + 3) * sizeof(double)) + " B"));  // mul's saved bytes
    // Entries appear in recording order.
    EXPECT_LT(dump.find("mul"), dump.find("exp"));
    EXPECT_LT(dump.find("exp"), dump.find("sum"));
}

TEST(IntrospectionTest, DotExportDrawsEntriesAndParameters) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::ones<double>({2, 2}));
    auto y = tg::sum(tg::exp(w * w));
    (void)y;
    const std::string dot = tape.to_dot();
    EXPECT_EQ(dot.rfind("digraph", 0), 0u) << dot;
    EXPECT_TRUE(contains(dot, "mul"));
    EXPECT_TRUE(contains(dot, "exp"));
    EXPECT_TRUE(contains(dot, "e0 -> e1"));
    EXPECT_TRUE(contains(dot, "e1 -> e2"));
    EXPECT_TRUE(contains(dot, "parameter (2, 2)"));
    EXPECT_EQ(dot.back(), '\n');
    EXPECT_TRUE(contains(dot, "}"));
}

TEST(IntrospectionTest, ReleasedTapeIsEmpty) {
    tg::Tape tape;
    auto w = tg::parameter<double>(xt::ones<double>({2}));
    auto loss = tg::sum(w * w);
    ASSERT_GT(tape.bytes(), 0u);
    tape.backward(loss);
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_EQ(tape.bytes(), 0u);
    EXPECT_TRUE(contains(tape.dump(), "0 entries"));
    EXPECT_FALSE(contains(tape.to_dot(), "mul"));
}

}  // namespace
