// The comparison operators (masks, as PyTorch's), the scalar forms of the comparisons and
// of maximum / minimum, and the in-place operators += -= *= /= and copy_: their values,
// the version bump, and the refusals while a tape records.

#include "op_test_util.hpp"

#include <limits>

namespace tg::test {
namespace {

using T = Tensor<double>;

/// The 0/1 mask of a tensor, as a plain array.
xt::xarray<double> values(const T& t) { return t.value(); }

/// The operands of the comparisons: b broadcasts along a's rows.
T a_operand() { return T{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}; }
T b_operand() { return T{3.0, 2.0, 7.0}; }

TEST(ComparisonOperators, AreTheMaskFunctions) {
    const T kA = a_operand(), kB = b_operand();
    EXPECT_EQ(values(kA > kB), values(gt(kA, kB)));
    EXPECT_EQ(values(kA < kB), values(lt(kA, kB)));
    EXPECT_EQ(values(kA >= kB), values(ge(kA, kB)));
    EXPECT_EQ(values(kA <= kB), values(le(kA, kB)));
    EXPECT_EQ(values(kA == kB), values(eq(kA, kB)));
    EXPECT_EQ(values(kA != kB), values(ne(kA, kB)));
    EXPECT_EQ(values(kA > kB), (xt::xarray<double>{{0, 0, 0}, {1, 1, 0}}));
    EXPECT_EQ(values(kA == kB), (xt::xarray<double>{{0, 1, 0}, {0, 0, 0}}));
    EXPECT_EQ(values(kA != kB), (xt::xarray<double>{{1, 0, 1}, {1, 1, 1}}));
}

TEST(ComparisonOperators, TakeANumberOnEitherSide) {
    const T kA = a_operand();
    EXPECT_EQ(values(kA > 3), (xt::xarray<double>{{0, 0, 0}, {1, 1, 1}}));
    EXPECT_EQ(values(kA == 0), (xt::xarray<double>{{0, 0, 0}, {0, 0, 0}}));
    EXPECT_EQ(values(kA != 2.0), (xt::xarray<double>{{1, 0, 1}, {1, 1, 1}}));
    EXPECT_EQ(values(kA <= 2), (xt::xarray<double>{{1, 1, 0}, {0, 0, 0}}));
    EXPECT_EQ(values(4.5 < kA), values(kA > 4.5));
    EXPECT_EQ(values(2 >= kA), values(kA <= 2));
    EXPECT_EQ(values(5 == kA), (xt::xarray<double>{{0, 0, 0}, {0, 1, 0}}));
    EXPECT_EQ(values(gt(kA, 3.0)), values(kA > 3.0));
    EXPECT_EQ(values(lt(kA, 3.0)), values(kA < 3.0));
    EXPECT_EQ(values(ge(kA, 3.0)), values(kA >= 3.0));
    EXPECT_EQ(values(le(kA, 3.0)), values(kA <= 3.0));
    EXPECT_EQ(values(eq(kA, 3.0)), values(kA == 3.0));
    EXPECT_EQ(values(ne(kA, 3.0)), values(kA != 3.0));
    const Tensor<float> f{1.0f, -1.0f};
    EXPECT_EQ(xt::xarray<float>((f > 0).value()), (xt::xarray<float>{1, 0}));  // float too
}

TEST(ComparisonOperators, NanDiffersFromEverything) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const T x{nan, 1.0};
    EXPECT_EQ(values(x != x), (xt::xarray<double>{1, 0}));
    EXPECT_EQ(values(x == x), (xt::xarray<double>{0, 1}));
    EXPECT_EQ(values(x > 0), (xt::xarray<double>{0, 1}));
}

TEST(ComparisonOperators, AreNotDifferentiable) {
    const T w = parameter(xt::xarray<double>{0.5, -1.0});
    Tape tape;
    EXPECT_FALSE((w > 0).requires_grad());
    EXPECT_FALSE((w == w).requires_grad());
    EXPECT_EQ(tape.size(), 0u);
}

TEST(ScalarForms, MaximumAndMinimumTakeANumber) {
    const T w = parameter(xt::xarray<double>{-1.0, 0.0, 2.0});
    Tape tape;
    const T y = maximum(w, 0.0);
    EXPECT_EQ(values(y), (xt::xarray<double>{0.0, 0.0, 2.0}));
    // The tie at 0 splits the gradient in halves, as maximum of two tensors does.
    EXPECT_EQ(values(tape.gradient(sum(y), {w})[0]), (xt::xarray<double>{0.0, 0.5, 1.0}));
    EXPECT_EQ(values(minimum(w, 1)), (xt::xarray<double>{-1.0, 0.0, 1.0}));
}

TEST(CompoundAssignment, ChangesALeafInPlaceAndBumpsItsVersion) {
    T x{{1.0, 2.0}, {3.0, 4.0}};
    const T alias = x;  // a handle on the same values, as in PyTorch
    const std::uint64_t v0 = x.version();
    x += 1;
    EXPECT_EQ(x.version(), v0 + 1);
    x -= T{0.5, 1.0};  // broadcast along the rows
    x *= 2.0;
    x /= T{{1.0}, {2.0}};
    EXPECT_EQ(x.version(), v0 + 4);
    // ((x + 1 − (0.5, 1)) · 2) / (1; 2) row by row
    EXPECT_EQ(values(alias), (xt::xarray<double>{{3.0, 4.0}, {3.5, 4.0}}));
    EXPECT_TRUE(alias.same(x));
}

TEST(CompoundAssignment, OfAViewWritesIntoItsBase) {
    T base{1.0, 2.0, 3.0, 4.0};
    T row = base.view({2, 2}).select(0, 1);  // a view of elements 2 and 3
    row *= 10;
    EXPECT_EQ(values(base), (xt::xarray<double>{1.0, 2.0, 30.0, 40.0}));
}

TEST(CompoundAssignment, KeepsTheShape) {
    T x{1.0, 2.0};
    expect_error<ShapeError>(
        [&] {
            x += T{{1.0, 2.0}, {3.0, 4.0}};
        },
        "+=: the result has shape (2, 2) but the tensor changed in place "
        "has shape (2); the right-hand side (shape (2, 2)) must broadcast "
        "to it");
    EXPECT_EQ(values(x), (xt::xarray<double>{1.0, 2.0}));
}

TEST(CompoundAssignment, OfAParameterWorksUnderNoGrad) {
    T w = parameter(xt::xarray<double>{1.0, 2.0});
    const T g{0.5, 0.5};
    w -= g * 0.1;  // no tape: nothing records
    Tape tape;
    {
        NoGradGuard no_grad;  // an optimizer step
        w -= g;
    }
    EXPECT_TRUE(all_close(w, xt::xarray<double>{0.45, 1.45}, 1e-15, 0));
    EXPECT_TRUE(w.requires_grad());
}

TEST(CompoundAssignment, IsRefusedWhileATapeRecords) {
    T w = parameter(xt::xarray<double>{1.0, 2.0});
    const std::uint64_t v0 = w.version();
    for (const auto& [op, f] : std::vector<std::pair<std::string, std::function<void()>>>{
             {"+=", [&] { w += 1; }},
             {"-=", [&] { w -= 1; }},
             {"*=", [&] { w *= 2; }},
             {"/=", [&] { w /= 2; }},
             {"copy_", [&] { w.copy_(T(3.0)); }}})
        expect_error<GraphError>(f, op + ": a leaf that requires grad is being changed in place "
                                         "while a tape records (PyTorch: a leaf Variable that "
                                         "requires grad is being used in an in-place operation)");
    EXPECT_EQ(w.version(), v0);
    EXPECT_EQ(values(w), (xt::xarray<double>{1.0, 2.0}));

    // A constant changed by something that requires grad would lose that gradient.
    T c{1.0, 2.0};
    expect_error<GraphError>([&] { c += w; },
                             "+=: the right-hand side requires grad and a tape records, but an "
                             "in-place change is not recorded, so its gradient would be lost; "
                             "write the result to a new tensor (x = x + y), which is recorded");
    EXPECT_EQ(values(c), (xt::xarray<double>{1.0, 2.0}));
    {
        Tape tape;
        c += T{1.0, 1.0};  // constants change in place while recording
    }
    EXPECT_EQ(values(c), (xt::xarray<double>{2.0, 3.0}));
}

TEST(CompoundAssignment, OfARecordedResultIsRefused) {
    const T w = parameter(xt::xarray<double>{1.0, 2.0});
    Tape tape;
    T y = w * 2.0;
    NoGradGuard no_grad;  // even outside recording: only leaves change in place
    expect_error<GraphError>([&] { y += 1; }, "this tensor was computed by a recorded op");
}

TEST(CompoundAssignment, ASavedTensorChangedInPlaceStopsBackward) {
    // += bumps the version, so an entry that saved the old values refuses to run.
    T x{1.0, 2.0};
    const T w = parameter(xt::xarray<double>{3.0, 4.0});
    Tape tape;
    const T loss = sum(w * x);  // mul saves x
    x += 1;
    EXPECT_THROW(tape.backward(loss), GraphError);
}

TEST(CopyIn, BroadcastsTheSourceAndBumpsTheVersion) {
    T x = zeros({2, 3});
    const std::uint64_t v0 = x.version();
    x.copy_(T{1.0, 2.0, 3.0});
    EXPECT_EQ(values(x), (xt::xarray<double>{{1, 2, 3}, {1, 2, 3}}));
    EXPECT_EQ(x.version(), v0 + 1);
    expect_error<ShapeError>([&] { x.copy_(T{1.0, 2.0}); }, "broadcast_to: shape (2)");
}

}  // namespace
}  // namespace tg::test
