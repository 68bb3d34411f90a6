// Every sample of every differentiable op in the op table (op_table.cpp): the tape's
// gradient against central finite differences (tg::gradcheck), and its second
// derivatives (tg::gradgradcheck) of the row's second-order function, in double. A
// second-order check whose second derivative is 0 everywhere would compare zeros and pass
// whatever the backward does, so each must find one that is not; the ops without gradient
// must give none and record nothing.

#include "op_table.hpp"

#include <ostream>

namespace {

using tg::Tensor;
using tg::test::Inputs;
using tg::test::OpInfo;
using tg::test::Sample;

/// A second derivative counts as not identically 0 when some finite difference of it
/// exceeds gradgradcheck's absolute tolerance tenfold: smaller ones pass whatever the
/// tape says.
constexpr double kNonzeroSecondDerivative = 1e-4;

/// One sample of one op: a GoogleTest case.
struct GradcheckCase {
    std::string name;  ///< the op's test name and the sample's label
    const OpInfo* op;
    const Sample* sample;
};

void PrintTo(const GradcheckCase& c, std::ostream* os) { *os << c.name; }

std::vector<GradcheckCase> differentiable_samples() {
    std::vector<GradcheckCase> cases;
    for (const OpInfo& op : tg::test::op_table()) {
        if (op.kind == OpInfo::Kind::not_differentiable) continue;
        for (const Sample& s : op.samples)
            cases.push_back({op.test_name() + (s.label.empty() ? "" : "_" + s.label), &op, &s});
    }
    return cases;
}

/// gradgradcheck of the case's second-order function.
tg::GradcheckResult second_order_check(const GradcheckCase& c) {
    const OpInfo& op = *c.op;
    const tg::GradcheckFunction& f = c.sample->f;
    return tg::gradgradcheck([&](const Inputs& x) { return op.second_order(f(x), x); },
                             tg::test::draw_inputs(*c.sample, c.name));
}

double largest_finite_difference(const tg::GradcheckResult& r) {
    double largest = 0;
    for (const auto& input : r.inputs) largest = std::max(largest, input.max_abs_finite_difference);
    return largest;
}

class OpGradcheck : public ::testing::TestWithParam<GradcheckCase> {};

TEST_P(OpGradcheck, TapeGradientMatchesFiniteDifferences) {
    const GradcheckCase& c = GetParam();
    const Inputs inputs = tg::test::draw_inputs(*c.sample, c.name);
    tg::GradcheckResult result;
    try {
        result = tg::gradcheck(c.sample->f, inputs);
    } catch (const std::exception& e) {
        FAIL() << c.name << ": threw " << e.what();
    }
    ASSERT_EQ(result.inputs.size(), inputs.size()) << c.name;
    EXPECT_TRUE(result.passed) << c.name << ": " << result.message << "\n" << result.report();
}

// create_graph: every op's backward is written with tapegrad's ops, so its second
// derivatives come from the tape too (gradient of <∇f, v> against finite differences of
// first derivatives). Kinks and ties are avoided by the samples' domains.
TEST_P(OpGradcheck, TapeSecondDerivativeMatchesFiniteDifferences) {
    const GradcheckCase& c = GetParam();
    tg::GradcheckResult result;
    try {
        result = second_order_check(c);
    } catch (const std::exception& e) {
        FAIL() << c.name << ": threw " << e.what();
    }
    ASSERT_EQ(result.inputs.size(), c.sample->shapes.size()) << c.name;
    EXPECT_TRUE(result.passed) << c.name << ": " << result.message << "\n" << result.report();
    EXPECT_GT(largest_finite_difference(result), kNonzeroSecondDerivative)
        << c.name << ": the second derivative is 0 everywhere, so this check cannot fail; give "
        << "the row a second-order function whose second derivative is not (op_table.hpp)";
}

std::string case_name(const ::testing::TestParamInfo<GradcheckCase>& info) {
    return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpGradcheck, ::testing::ValuesIn(differentiable_samples()),
                         case_name);

// The count over the whole table, so that a table whose second-order checks all compare
// zeros fails here even when the rows are filtered out or skipped.
TEST(OpTable, EverySecondOrderCheckHasANonzeroSecondDerivative) {
    const std::vector<GradcheckCase> cases = differentiable_samples();
    std::size_t nonzero = 0;
    std::string flat;
    for (const GradcheckCase& c : cases) {
        if (largest_finite_difference(second_order_check(c)) > kNonzeroSecondDerivative)
            ++nonzero;
        else
            flat += " " + c.name;
    }
    EXPECT_EQ(nonzero, cases.size()) << "second derivative 0 everywhere:" << flat;
    EXPECT_GT(cases.size(), 600u) << "the table lost rows";
}

TEST(OpTable, OpsWithoutGradientGiveNoneAndRecordNothing) {
    std::size_t checked = 0;
    for (const OpInfo& op : tg::test::op_table()) {
        if (op.kind != OpInfo::Kind::not_differentiable) continue;
        for (const Sample& s : op.samples) {
            SCOPED_TRACE(op.test_name());
            Inputs inputs;
            for (const Tensor<double>& x : tg::test::draw_inputs(s, op.test_name()))
                inputs.push_back(tg::parameter<double>(x.value()));
            tg::Tape tape;
            const Tensor<double> y = s.f(inputs);
            EXPECT_FALSE(y.requires_grad());
            EXPECT_EQ(tape.size(), 0u) << tape.dump();
            ++checked;
        }
    }
    EXPECT_GE(checked, 17u);  // the comparisons, argmax / argmin and the factories
}

}  // namespace
