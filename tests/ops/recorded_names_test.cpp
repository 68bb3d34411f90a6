// An op records under the name the user called (tape dumps and errors show it).

#include "op_test_util.hpp"

#include <xtensor/xbuilder.hpp>

namespace {

using tg::Tensor;

/// The dump of a tape that recorded `forward`.
std::string dump_of(const std::function<void()>& forward) {
    tg::Tape tape;
    forward();
    return tape.dump();
}

bool has(const std::string& dump, const std::string& name) {
    return dump.find(name) != std::string::npos;
}

TEST(RecordedNames, MatmulRecordsAsMatmulNotGemm) {
    const Tensor<double> a = tg::parameter<double>(xt::ones<double>({2, 3}));
    const Tensor<double> b = tg::parameter<double>(xt::ones<double>({3, 4}));
    const Tensor<double> batched = tg::parameter<double>(xt::ones<double>({5, 2, 3}));
    const std::string two_d = dump_of([&] { (void)tg::matmul(a, b); });
    EXPECT_TRUE(has(two_d, "matmul")) << two_d;
    EXPECT_FALSE(has(two_d, "gemm")) << two_d;
    const std::string three_d = dump_of([&] { (void)tg::matmul(batched, b); });
    EXPECT_TRUE(has(three_d, "matmul")) << three_d;
    EXPECT_FALSE(has(three_d, "gemm")) << three_d;
    const std::string gemm = dump_of([&] { (void)tg::gemm(a, b, false, false); });
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

TEST(RecordedNames, ElementwiseAndLossOpsRecordTheirNames) {
    const Tensor<double> a = tg::parameter<double>(xt::ones<double>({2, 3}));
    const Tensor<double> b = tg::parameter<double>(xt::zeros<double>({2, 3}));
    EXPECT_TRUE(has(dump_of([&] { (void)tg::maximum(a, b); }), "maximum"));
    EXPECT_TRUE(has(dump_of([&] { (void)tg::minimum(a, b); }), "minimum"));
    EXPECT_TRUE(has(dump_of([&] { (void)tg::clamp(a, 0.0, 1.0); }), "clamp"));
    EXPECT_TRUE(has(dump_of([&] { (void)tg::scaled_squared_error(a, b, 0.5); }),
                    "scaled_squared_error"));
    EXPECT_TRUE(
        has(dump_of([&] { (void)tg::scaled_squared_error(a, b, 0.5, "my_loss"); }), "my_loss"));
}

TEST(RecordedNames, ElementwiseMathAndActivationsRecordTheirNames) {
    const Tensor<double> x = tg::parameter<double>(xt::ones<double>({2, 3}));
    using Unary = Tensor<double> (*)(const Tensor<double>&);
    const std::vector<std::pair<std::string, Unary>> ops = {
        {"sin", tg::sin},     {"cos", tg::cos},           {"tan", tg::tan},
        {"atan", tg::atan},   {"sinh", tg::sinh},         {"cosh", tg::cosh},
        {"asinh", tg::asinh}, {"expm1", tg::expm1},       {"log1p", tg::log1p},
        {"erf", tg::erf},     {"gelu", tg::gelu},         {"silu", tg::silu},
        {"rsqrt", tg::rsqrt}, {"softsign", tg::softsign}, {"reciprocal", tg::reciprocal},
        {"sign", tg::sign},   {"erfc", tg::erfc}};
    for (const auto& [name, op] : ops) {
        const std::string dump = dump_of([&, op = op] { (void)op(x); });
        EXPECT_TRUE(has(dump, name)) << name << ": " << dump;
    }
    EXPECT_TRUE(has(dump_of([&] { (void)tg::elu(x, 0.5); }), "elu"));
    EXPECT_TRUE(has(dump_of([&] { (void)tg::pow(x, x); }), "pow"));
    EXPECT_TRUE(has(dump_of([&] { (void)tg::atan2(x, x); }), "atan2"));
}

}  // namespace
