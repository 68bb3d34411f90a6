// Ops on tensors with a zero-size dimension (an empty batch, an empty index list) give
// empty or zero results and gradients, as in numpy and PyTorch, and never crash.
//
// Each check runs in a child process (a GoogleTest death test expecting exit code 0), so
// that a crash (SIGSEGV, SIGFPE) fails that one test instead of killing the whole suite.

#include "op_test_util.hpp"

#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::Shape;
using tg::Tensor;

Tensor<double> zeros(const Shape& shape, bool requires_grad = true) {
    return Tensor<double>(tg::Array<double>(xt::zeros<double>(shape)), requires_grad);
}

/// "" when t has `shape` and only zeros, else what is wrong.
std::string zeros_of_shape(const std::string& what, const Tensor<double>& t, const Shape& shape) {
    if (t.shape() != shape)
        return what + ": shape " + tg::shape_str(t.shape()) + ", expected " + tg::shape_str(shape);
    for (std::size_t i = 0; i < t.size(); ++i)
        if (t.value().data()[i] != 0) return what + ": element " + std::to_string(i) + " is not 0";
    return "";
}

/// Runs `check` and exits: 0 when it returns "", else 1 after printing what it returned.
[[noreturn]] void exit_with(const std::function<std::string()>& check) {
    std::string problem;
    try {
        problem = check();
    } catch (const std::exception& e) {
        problem = std::string("threw: ") + e.what();
    }
    if (!problem.empty()) std::cerr << problem << std::endl;
    std::exit(problem.empty() ? 0 : 1);
}

/// Variadic so that commas inside the lambda need no extra parentheses.
#define EXPECT_IN_CHILD(...)                                                   \
    do {                                                                       \
        GTEST_FLAG_SET(death_test_style, "threadsafe");                        \
        EXPECT_EXIT(exit_with(__VA_ARGS__), ::testing::ExitedWithCode(0), ""); \
    } while (0)

TEST(ZeroSize, SumOverAxesOfAnEmptyTensor) {
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum (3, 0) over axis 1", tg::sum(zeros({3, 0}), {1}), {3});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum (0, 3) over axis 0", tg::sum(zeros({0, 3}), {0}), {3});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum (0, 3) over axis 1", tg::sum(zeros({0, 3}), {1}), {0});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum (0, 3) over all", tg::sum(zeros({0, 3})), {});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum (0, 3, 2) over axes 0, 2", tg::sum(zeros({0, 3, 2}), {0, 2}),
                              {3});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum (2, 0, 3) over axes 0, 1", tg::sum(zeros({2, 0, 3}), {0, 1}),
                              {3});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("mean (0, 3, 2) over axes 1, 2", tg::mean(zeros({0, 3, 2}), {1, 2}),
                              {0});
    });
}

TEST(ZeroSize, SumToFromAnEmptyBatch) {
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum_to (0, 3) -> (3)", tg::sum_to(zeros({0, 3}), {3}), {3});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("sum_to (0, 3, 2) -> (3, 1)", tg::sum_to(zeros({0, 3, 2}), {3, 1}),
                              {3, 1});
    });
}

TEST(ZeroSize, BroadcastAddWithAnEmptyBatchHasZeroGradient) {
    EXPECT_IN_CHILD([] {
        tg::Tape tape;
        const Tensor<double> x = zeros({0, 4}), b = zeros({4});
        const auto g = tape.gradient(tg::sum(x + b), {x, b});
        return zeros_of_shape("d/dx", g[0], {0, 4}) + zeros_of_shape("d/db", g[1], {4});
    });
    EXPECT_IN_CHILD([] {
        tg::Tape tape;
        const Tensor<double> x = zeros({0, 3, 2}), b = zeros({3, 1});
        const auto g = tape.gradient(tg::sum(x * b), {x, b});
        return zeros_of_shape("d/dx", g[0], {0, 3, 2}) + zeros_of_shape("d/db", g[1], {3, 1});
    });
}

TEST(ZeroSize, LinearWithAnEmptyBatch) {
    EXPECT_IN_CHILD([] {
        tg::Tape tape;
        const Tensor<double> x = zeros({0, 4}), w = zeros({2, 4}), b = zeros({2});
        const Tensor<double> y = tg::linear(x, w, b);
        const auto g = tape.gradient(tg::sum(y), {x, w, b});
        return zeros_of_shape("y", y, {0, 2}) + zeros_of_shape("d/dx", g[0], {0, 4}) +
               zeros_of_shape("d/dW", g[1], {2, 4}) + zeros_of_shape("d/db", g[2], {2});
    });
}

TEST(ZeroSize, MatmulWithEmptyInnerDimensionIsZeros) {
    EXPECT_IN_CHILD([] {
        tg::Tape tape;
        const Tensor<double> a = zeros({3, 0}), b = zeros({0, 2});
        const Tensor<double> y = tg::matmul(a, b);
        const auto g = tape.gradient(tg::sum(y), {a, b});
        return zeros_of_shape("y", y, {3, 2}) + zeros_of_shape("d/da", g[0], {3, 0}) +
               zeros_of_shape("d/db", g[1], {0, 2});
    });
}

TEST(ZeroSize, SoftmaxAlongAnEmptyAxisIsEmpty) {
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("softmax (0, 4) axis 0", tg::softmax(zeros({0, 4}), 0), {0, 4});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("log_softmax (2, 0) axis 1", tg::log_softmax(zeros({2, 0}), 1),
                              {2, 0});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("softmax (3, 0) axis 0", tg::softmax(zeros({3, 0}), 0), {3, 0});
    });
}

TEST(ZeroSize, RowsWithNoIndicesHasZeroGradient) {
    EXPECT_IN_CHILD([] {
        tg::Tape tape;
        const Tensor<double> x = zeros({3, 2});
        const Tensor<double> y = tg::rows(x, {});
        const auto g = tape.gradient(tg::sum(y), {x});
        return zeros_of_shape("rows(x, {})", y, {0, 2}) + zeros_of_shape("d/dx", g[0], {3, 2});
    });
}

TEST(ZeroSize, RowsAndIndexAddRowsOfAZeroRowTensor) {
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("rows of (0, 3)", tg::rows(zeros({0, 3}), {}), {0, 3});
    });
    EXPECT_IN_CHILD([] {
        return zeros_of_shape("index_add_rows of (0, 3)", tg::index_add_rows(zeros({0, 3}), {}, 4),
                              {4, 3});
    });
}

TEST(ZeroSize, ConcatAndNarrowWithEmptyPieces) {
    EXPECT_IN_CHILD([] {
        tg::Tape tape;
        const Tensor<double> a = zeros({0, 2}), b = zeros({2, 2});
        const Tensor<double> y = tg::concat(std::vector<Tensor<double>>{a, b}, 0);
        const auto g = tape.gradient(tg::sum(y), {a, b});
        return zeros_of_shape("concat", y, {2, 2}) + zeros_of_shape("d/da", g[0], {0, 2});
    });
    EXPECT_IN_CHILD([] {
        tg::Tape tape;
        const Tensor<double> x = zeros({3, 2});
        const auto g = tape.gradient(tg::sum(tg::narrow(x, 0, 1, 0)), {x});
        return zeros_of_shape("d/dx of an empty narrow", g[0], {3, 2});
    });
}

}  // namespace
