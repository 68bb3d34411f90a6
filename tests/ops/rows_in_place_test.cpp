// The backward of tg::rows and tg::index_select along axis 0 adds its rows into the
// input's gradient in place when that gradient is a buffer only the sweep holds
// (BackwardContext::add_rows_in_place): the sum equals the dense index_add_rows path, and
// a gradient shared with another input, a create_graph sweep or anomaly mode take the
// dense path and leave every other gradient untouched.

#include "op_test_util.hpp"

#include <tapegrad/grad_mode.hpp>

namespace tg::test {
namespace {

const Indices kPicks{1, 3, 1, 0};  // a repeated row, as token ids repeat

Tensor<> table() {
    return parameter<double>(
        Array<double>{{0.5, -1.0, 2.0}, {1.5, 0.25, -0.5}, {3.0, 1.0, 0.0}, {-2.0, 0.5, 1.0}});
}
const Tensor<> kWeights(Array<double>{
    {1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}, {-1.0, 0.5, 2.0}, {0.25, -3.0, 1.5}});

/// Tied use of one table: a dense term (the logits' matmul, recorded after the lookup, so
/// its gradient arrives first) plus the looked-up rows weighted.
Tensor<> tied_loss(const Tensor<>& x, bool by_index_select) {
    const Tensor<> picked = by_index_select ? index_select(x, 0, kPicks) : rows(x, kPicks);
    const Tensor<> logits = matmul(picked, transpose(x));
    return sum(picked * kWeights) + sum(square(logits));
}

/// The same gradient from the two terms on separate tapes, added at the end.
Array<double> separately(bool by_index_select) {
    const Tensor<> x = table();
    Tape a;
    const Tensor<> picked = by_index_select ? index_select(x, 0, kPicks) : rows(x, kPicks);
    const Array<double> lookup = a.gradient(sum(picked * kWeights), {x})[0].value();
    Tape b;
    const Tensor<> dense_rows = by_index_select ? index_select(x, 0, kPicks) : rows(x, kPicks);
    const Array<double> dense =
        b.gradient(sum(square(matmul(dense_rows.detach(), transpose(x)))), {x})[0].value();
    Tape c;
    const Tensor<> logits_rows = by_index_select ? index_select(x, 0, kPicks) : rows(x, kPicks);
    const Array<double> through =
        c.gradient(sum(square(matmul(logits_rows, transpose(x.detach())))), {x})[0].value();
    return lookup + dense + through;
}

TEST(RowsInPlace, TiedTableGradientEqualsTheDensePath) {
    for (const bool by_index_select : {false, true}) {
        const Tensor<> x = table();
        Tape tape;
        tape.backward(tied_loss(x, by_index_select));
        EXPECT_TRUE(all_close(x.grad(), separately(by_index_select), 1e-15, 1e-13))
            << (by_index_select ? "index_select" : "rows");
        // create_graph and anomaly mode take the dense path: the same numbers.
        const Tensor<> y = table();
        Tape recorded;
        const Tensor<> g =
            recorded.gradient(tied_loss(y, by_index_select), {y}, BackwardOptions{false, true})[0];
        EXPECT_TRUE(all_close(g, x.grad().value(), 1e-15, 1e-13));
        const Tensor<> z = table();
        DetectAnomalyGuard anomaly;
        Tape checked;
        checked.backward(tied_loss(z, by_index_select));
        EXPECT_TRUE(all_close(z.grad(), x.grad().value(), 1e-15, 1e-13));
    }
}

TEST(RowsInPlace, AGradientSharedWithAnotherInputIsNotWrittenInto) {
    // add's backward hands one gradient tensor to both of its inputs; the lookup, whose
    // backward runs after it, must not add its rows into the one x and v share.
    const Tensor<> x = table();
    const Tensor<> v = table();
    Tape tape;
    const Tensor<> picked = rows(x, kPicks);
    tape.backward(sum(x + v) + sum(picked * kWeights));
    const Array<double> ones = xt::ones<double>({4, 3});
    EXPECT_TRUE(v.grad().value() == ones);
    Array<double> want = ones;
    for (std::size_t k = 0; k < kPicks.size(); ++k)
        for (std::size_t j = 0; j < 3; ++j) want(kPicks[k], j) += kWeights.value()(k, j);
    EXPECT_TRUE(x.grad().value() == want);
}

}  // namespace
}  // namespace tg::test
