// min, argmax / argmin, logsumexp, var / std, prod, cumsum and norm
// (<tapegrad/ops/reduce.hpp>): values against plain loops, zeros in prod, stability of
// logsumexp, and the errors. (Their gradchecks are rows of op_table.cpp.)

#include "op_test_util.hpp"

#include <cstdint>
#include <limits>

namespace tg::test {
namespace {

template <class T>
std::vector<T> flat(const Tensor<T>& t) {
    return std::vector<T>(t.value().data(), t.value().data() + t.size());
}

TEST(Reductions, ValuesAsPlainLoops) {
    const Tensor<> x{{3, -1, 2}, {0, 5, -4}};
    EXPECT_EQ(flat(min(x, 1)), (std::vector<double>{-1, -4}));
    EXPECT_EQ(min(x, 0, true).shape(), (Shape{1, 3}));
    EXPECT_EQ(flat(argmax(x, 1)), (std::vector<std::int64_t>{0, 1}));
    EXPECT_EQ(flat(argmin(x, -2)), (std::vector<std::int64_t>{1, 0, 1}));
    EXPECT_EQ(flat(argmax(Tensor<>{1, 3, 3}, 0)), (std::vector<std::int64_t>{1}));  // first of ties
    EXPECT_FALSE(argmax(Tensor<>(Array<double>{1.0, 2.0}, true), 0).requires_grad());
    EXPECT_EQ(flat(cumsum(x, 1)), (std::vector<double>{3, 2, 4, 0, 5, 1}));
    EXPECT_EQ(flat(cumsum(x, 0)), (std::vector<double>{3, -1, 2, 3, 4, -2}));
    EXPECT_EQ(flat(prod(x, 1)), (std::vector<double>{-6, 0}));
    EXPECT_EQ(prod(x, 0, true).shape(), (Shape{1, 3}));
    EXPECT_EQ(flat(prod(Tensor<>{{2, 3, 4, 5, 6}}, 1)), (std::vector<double>{720}));
    EXPECT_DOUBLE_EQ(norm(x, 1).item(), 15);
    EXPECT_DOUBLE_EQ(norm(x).item(), std::sqrt(55.0));
    EXPECT_DOUBLE_EQ(norm(x, std::numeric_limits<double>::infinity()).item(), 5);
    // var with Bessel's correction and without, over one and two axes.
    // Row (3, -1, 2): mean 4/3, squared deviations (25 + 49 + 4) / 9.
    EXPECT_DOUBLE_EQ(var(x, {1}).value().data()[0], 78.0 / 9.0 / 2.0);
    EXPECT_DOUBLE_EQ(var(x, {1}, 0).value().data()[0], 78.0 / 9.0 / 3.0);
    EXPECT_DOUBLE_EQ(var(x, {0, 1}).item(), (55.0 - 6.0 * 25.0 / 36.0) / 5.0);
    EXPECT_DOUBLE_EQ(std(x, {0, 1}, 0).item(), std::sqrt((55.0 - 6.0 * 25.0 / 36.0) / 6.0));
    const Tensor<> lse = logsumexp(x, {1});
    EXPECT_EQ(lse.shape(), (Shape{2}));
    EXPECT_NEAR(lse.value().data()[0], std::log(std::exp(3.0) + std::exp(-1.0) + std::exp(2.0)),
                1e-14);
    EXPECT_EQ(logsumexp(x, {0, 1}, true).shape(), (Shape{1, 1}));
}

TEST(Reductions, LogsumexpIsStable) {
    const double inf = std::numeric_limits<double>::infinity();
    const Tensor<> big{1000.0, 1000.0};
    EXPECT_NEAR(logsumexp(big, {0}).item(), 1000.0 + std::log(2.0), 1e-12);
    EXPECT_EQ(logsumexp(Tensor<>{-inf, -inf}, {0}).item(), -inf);
    EXPECT_NEAR(logsumexp(Tensor<float>{-1000.0f, -1000.0f}, {0}).item(), -1000.0f + std::log(2.0f),
                1e-3);
}

TEST(Reductions, ProdGradientAtZeros) {
    // d/dx_i Π x = Π_{j≠i} x_j, exact even where x has a zero (no division).
    Tape tape;
    const Tensor<> x = parameter(Array<double>{2.0, 0.0, 3.0, 4.0});
    const Tensor<> g = tape.gradient(prod(x, 0), {x})[0];
    EXPECT_EQ(flat(g), (std::vector<double>{0, 24, 0, 0}));
    const Tensor<> y = parameter(Array<double>{0.0, 0.0, 3.0});
    EXPECT_EQ(flat(tape.gradient(prod(y, 0), {y})[0]), (std::vector<double>{0, 0, 0}));
}

TEST(Reductions, Errors) {
    const Tensor<> x{{1, 2}, {3, 4}};
    EXPECT_THROW(argmax(x, 2), ValueError);
    EXPECT_THROW(argmax(Tensor<>(Array<double>(xt::zeros<double>({2, 0}))), 1), ValueError);
    EXPECT_THROW(norm(x, std::nan("")), ValueError);
    EXPECT_THROW(cumsum(x, -3), ValueError);
    EXPECT_THROW(prod(x, 5), ValueError);
    try {
        norm(x, std::nan(""));
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("vector_norm: ord is NaN"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace tg::test
