// Losses: values, gradients against tg::gradcheck, stability, shape errors.

#include "nn/nn_test_util.hpp"

namespace tg::test {
namespace {

TEST(Loss, ValuesMatchTheirFormulas) {
    const Tensor<double> pred{{1.0, 2.0}, {3.0, 5.0}, {0.0, -1.0}};
    const Tensor<double> target{{0.0, 2.0}, {1.0, 1.0}, {0.0, 1.0}};
    // squared differences 1, 0, 4, 16, 0, 4: sum 25 over 6 elements, N = 3 rows
    EXPECT_DOUBLE_EQ(nn::mse_loss(pred, target).item(), 25.0 / 6.0);
    EXPECT_DOUBLE_EQ(nn::rmse(pred, target).item(), std::sqrt(25.0 / 6.0));
    EXPECT_DOUBLE_EQ(nn::half_sse_per_example(pred, target).item(), 25.0 / (2 * 3));
    EXPECT_EQ(nn::mse_loss(pred, target).dim(), 0u);
}

TEST(Loss, HalfSsePerExampleGradientIsTheReferenceSeed) {
    // d L / d pred = (pred − target) / N
    Tensor<double> pred = parameter<double>(Array<double>{{1.0, 2.0}, {3.0, 5.0}});
    const Tensor<double> target{{0.0, 2.0}, {1.0, 1.0}};
    Tape tape;
    tape.backward(nn::half_sse_per_example(pred, target));
    const Array<double> expected{{0.5, 0.0}, {1.0, 2.0}};
    EXPECT_EQ(relative_error(pred.grad().value(), expected), 0.0);
}

TEST(Loss, CrossEntropyValue) {
    const Tensor<double> logits{{1.0, 2.0, 3.0}, {0.5, 0.5, -1.0}};
    const std::vector<std::size_t> targets{2, 0};
    const double row0 = 3.0 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
    const double row1 = 0.5 - std::log(2 * std::exp(0.5) + std::exp(-1.0));
    EXPECT_NEAR(nn::cross_entropy(logits, targets).item(), -(row0 + row1) / 2, 1e-15);
}

TEST(Loss, CrossEntropyPassesGradcheck) {
    nn::Rng rng(4);
    const Tensor<double> logits(nn::normal<double>({5, 4}, 0.0, 2.0, rng));
    const std::vector<std::size_t> targets{0, 3, 1, 1, 2};
    const GradcheckResult r = gradcheck(
        [&](const std::vector<Tensor<double>>& in) { return nn::cross_entropy(in[0], targets); },
        {logits});
    EXPECT_TRUE(r.passed) << r.message << "\n" << r.report();
}

TEST(Loss, SquaredErrorLossesPassGradcheckAndGradgradcheck) {
    // Each is one recorded op whose backward is itself made of ops under create_graph;
    // both inputs are checked (the target's gradient is the prediction's, negated).
    nn::Rng rng(5);
    const Tensor<double> pred(nn::normal<double>({6, 3}, 0.0, 1.0, rng));
    const Tensor<double> target(nn::normal<double>({6, 3}, 0.0, 1.0, rng));
    using Loss = Tensor<double> (*)(const Tensor<double>&, const Tensor<double>&);
    const std::pair<const char*, Loss> losses[] = {
        {"mse_loss", nn::mse_loss<double>},
        {"half_sse_per_example", nn::half_sse_per_example<double>},
        {"rmse", nn::rmse<double>}};
    for (const auto& [name, loss] : losses) {
        const auto f = [loss = loss](const std::vector<Tensor<double>>& in) {
            return loss(in[0], in[1]);
        };
        const GradcheckResult first = gradcheck(f, {pred, target});
        EXPECT_TRUE(first.passed) << name << ": " << first.message;
        const GradcheckResult second = gradgradcheck(f, {pred, target});
        EXPECT_TRUE(second.passed) << name << ": " << second.message;
    }
}

TEST(Loss, SquaredErrorLossIsOneTapeEntry) {
    Tensor<double> pred = parameter<double>(Array<double>{{1.0, 2.0}, {3.0, 4.0}});
    const Tensor<double> target{{0.0, 1.0}, {0.0, 1.0}};
    Tape tape;
    const Tensor<double> a = nn::half_sse_per_example(pred, target);
    const Tensor<double> b = nn::mse_loss(pred, target);  // held: the tape keeps what is reachable
    EXPECT_EQ(tape.size(), 2u);
    EXPECT_NE(tape.dump().find("half_sse_per_example"), std::string::npos) << tape.dump();
    EXPECT_NE(tape.dump().find("mse_loss"), std::string::npos) << tape.dump();
}

TEST(Loss, CrossEntropyIsFiniteForLogitsOfTenThousand) {
    Tensor<double> logits = parameter<double>(Array<double>{{1e4, 0.0, -1e4}, {1e4, 1e4, 0.0}});
    Tape tape;
    Tensor<double> loss = nn::cross_entropy(logits, {1, 0});
    tape.backward(loss);
    // row 0: −log_softmax = 1e4 (class 1 is 1e4 below the max); row 1: log 2
    EXPECT_NEAR(loss.item(), (1e4 + std::log(2.0)) / 2, 1e-9);
    for (double g : logits.grad().value()) EXPECT_TRUE(std::isfinite(g));
    // d/dlogits = (softmax − onehot) / N
    const Array<double> expected{{0.5, -0.5, 0.0}, {-0.25, 0.25, 0.0}};
    EXPECT_LE(relative_error(logits.grad().value(), expected), 1e-12);

    Tensor<float> big(Array<float>{{1e4f, -1e4f}});
    EXPECT_TRUE(std::isfinite(nn::cross_entropy(big, {1}).item()));
}

TEST(Loss, RejectsMismatchedShapesAndClasses) {
    const Tensor<double> column(Array<double>(Shape{4, 1}, 1.0));
    const Tensor<double> flat(Array<double>(Shape{4}, 1.0));
    EXPECT_THROW(nn::mse_loss(column, flat), ShapeError);
    EXPECT_THROW(nn::half_sse_per_example(column, flat), ShapeError);
    EXPECT_THROW(nn::half_sse_per_example(Tensor<double>(1.0), Tensor<double>(1.0)), ShapeError);
    const Tensor<double> logits(Array<double>(Shape{2, 3}, 0.0));
    EXPECT_THROW(nn::cross_entropy(logits, {0}), ShapeError);
    EXPECT_THROW(nn::cross_entropy(logits, {0, 3}), ValueError);
    // (C) logits take a 0-d class index; a target of their shape is class probabilities.
    EXPECT_THROW(nn::cross_entropy(flat, {0, 0, 0}), ShapeError);
    try {
        nn::mse_loss(column, flat);
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("(4, 1)"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(4)"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace tg::test
