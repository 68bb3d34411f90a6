// An op records under the name the user called (tape dumps and errors show it): every op
// of the op table under its row's name, matmul not as gemm, a loss under its own name.

#include "op_table.hpp"

#include <xtensor/xbuilder.hpp>

namespace {

using tg::Tensor;

/// The dump of a tape that recorded `forward`, taken while its result is held (a tape
/// keeps only what can still be reached).
std::string dump_of(const std::function<Tensor<double>()>& forward) {
    tg::Tape tape;
    const Tensor<double> y = forward();
    return tape.dump();
}

bool has(const std::string& dump, const std::string& name) {
    return dump.find(name) != std::string::npos;
}

TEST(RecordedNames, MatmulRecordsAsMatmulNotGemm) {
    const Tensor<double> a = tg::parameter<double>(xt::ones<double>({2, 3}));
    const Tensor<double> b = tg::parameter<double>(xt::ones<double>({3, 4}));
    const Tensor<double> batched = tg::parameter<double>(xt::ones<double>({5, 2, 3}));
    const std::string two_d = dump_of([&] { return tg::matmul(a, b); });
    EXPECT_TRUE(has(two_d, "matmul")) << two_d;
    EXPECT_FALSE(has(two_d, "gemm")) << two_d;
    const std::string three_d = dump_of([&] { return tg::matmul(batched, b); });
    EXPECT_TRUE(has(three_d, "matmul")) << three_d;
    EXPECT_FALSE(has(three_d, "gemm")) << three_d;
    const std::string gemm = dump_of([&] { return tg::gemm(a, b, false, false); });
    EXPECT_TRUE(has(gemm, "gemm")) << gemm;
}

TEST(RecordedNames, NonScalarBackwardNamesTheOpTheUserCalled) {
    const Tensor<double> a = tg::parameter<double>(xt::ones<double>({8, 3}));
    const Tensor<double> b = tg::parameter<double>(xt::ones<double>({3, 1}));
    tg::Tape tape;
    const Tensor<double> y = tg::matmul(a, b);
    try {
        tape.backward(y);
        ADD_FAILURE() << "backward of an (8, 1) output without a seed did not throw";
    } catch (const tg::Error& e) {
        EXPECT_NE(std::string(e.what()).find("'matmul'"), std::string::npos) << e.what();
    }
}

TEST(RecordedNames, EveryOpInTheTableRecordsItsName) {
    for (const tg::test::OpInfo& op : tg::test::op_table()) {
        if (op.recorded.empty()) continue;
        for (const tg::test::Sample& s : op.samples) {
            SCOPED_TRACE(op.test_name() + " " + s.label);
            std::vector<Tensor<double>> inputs;
            for (const Tensor<double>& x : tg::test::draw_inputs(s, op.test_name()))
                inputs.push_back(tg::parameter<double>(x.value()));
            tg::Tape tape;
            const Tensor<double> y = s.f(inputs);  // held: the tape keeps what is reachable
            // A dump line is "  #i  NAME  shapes  saved B"; released entries have none.
            const std::string dump = tape.dump();
            EXPECT_TRUE(has(dump, "  " + op.recorded + "  "))
                << "no entry named '" << op.recorded << "'; recorded:\n"
                << dump;
        }
    }
}

TEST(RecordedNames, ScaledSquaredErrorRecordsTheNameItIsGiven) {
    const Tensor<double> a = tg::parameter<double>(xt::ones<double>({2, 3}));
    const Tensor<double> b = tg::parameter<double>(xt::zeros<double>({2, 3}));
    EXPECT_TRUE(
        has(dump_of([&] { return tg::scaled_squared_error(a, b, 0.5, "my_loss"); }), "my_loss"));
}

}  // namespace
