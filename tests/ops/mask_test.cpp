// where, masked_fill and the comparisons (<tapegrad/ops/mask.hpp>): values against plain
// loops with broadcasting, inf in the branch not taken, and the errors. (Their gradchecks
// are rows of op_table.cpp.)

#include "op_test_util.hpp"

#include <functional>
#include <limits>

namespace tg::test {
namespace {

template <class T>
std::vector<T> flat(const Tensor<T>& t) {
    return std::vector<T>(t.value().data(), t.value().data() + t.size());
}

TEST(Mask, ComparisonsBroadcastAndAreConstants) {
    const Tensor<> a{{1, 2, 3}, {4, 5, 6}}, b{2, 5, 3};
    EXPECT_EQ(flat(gt(a, b)), (std::vector<double>{0, 0, 0, 1, 0, 1}));
    EXPECT_EQ(flat(lt(a, b)), (std::vector<double>{1, 1, 0, 0, 0, 0}));
    EXPECT_EQ(flat(ge(a, b)), (std::vector<double>{0, 0, 1, 1, 1, 1}));
    EXPECT_EQ(flat(le(a, b)), (std::vector<double>{1, 1, 1, 0, 1, 0}));
    EXPECT_EQ(flat(eq(a, b)), (std::vector<double>{0, 0, 1, 0, 1, 0}));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(flat(eq(Tensor<>{nan}, Tensor<>{nan})), (std::vector<double>{0}));
    Tape tape;
    const Tensor<> p = parameter(Array<double>{1.0, 2.0});
    EXPECT_FALSE(gt(p, Tensor<>(1.5)).requires_grad());
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_EQ(flat(lt(Tensor<float>{1.0f, 3.0f}, Tensor<float>(2.0f))), (std::vector<float>{1, 0}));
}

TEST(Mask, WhereAndMaskedFill) {
    const Tensor<> cond{{1, 0, 1}}, a = reshape(Tensor<>{10, 20}, {2, 1}), b{1, 2, 3};
    EXPECT_EQ(flat(where(cond, a, b)), (std::vector<double>{10, 2, 10, 20, 2, 20}));
    const double inf = std::numeric_limits<double>::infinity();
    // The branch not taken may hold nan (log of a negative): neither the value nor the
    // gradient sees it.
    Tape tape;
    const Tensor<> x = parameter(Array<double>{1.0, -1.0});
    const Tensor<> safe = where(gt(x, Tensor<>(0.0)), tg::log(x), Tensor<>(7.0));
    EXPECT_EQ(flat(safe), (std::vector<double>{0, 7}));
    EXPECT_EQ(flat(tape.gradient(sum(safe), {x}, {true})[0]), (std::vector<double>{1, 0}));
    const Tensor<> causal = tril(ones({3, 3}));
    const Tensor<> scores = reshape(arange(9), {3, 3});
    EXPECT_EQ(flat(masked_fill(scores, eq(causal, Tensor<>(0.0)), -inf)),
              (std::vector<double>{0, -inf, -inf, 3, 4, -inf, 6, 7, 8}));
    const Tensor<> g = tape.gradient(sum(where(Tensor<>{1, 0}, x * x, x)), {x})[0];
    EXPECT_EQ(flat(g), (std::vector<double>{2, 1}));
}

TEST(Mask, ShapeErrorsNameTheOp) {
    const Tensor<> a{{1, 2, 3}}, bad{1, 2};
    for (const auto& [name, call] : std::vector<std::pair<std::string, std::function<void()>>>{
             {"where", [&] { where(bad, a, a); }},
             {"gt", [&] { gt(a, bad); }},
             {"eq", [&] { eq(bad, a); }},
             {"masked_fill", [&] { masked_fill(Tensor<>{1.0}, a, 0.0); }}}) {
        try {
            call();
            ADD_FAILURE() << name << ": no error";
        } catch (const ShapeError& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace tg::test
