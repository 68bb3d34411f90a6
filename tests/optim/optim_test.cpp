// tg::optim::SGD and tg::optim::Adam against hand-computed steps, and in training.

#include "nn/nn_test_util.hpp"

// The optimizers' headers are <tapegrad/optim/...>; the old <tapegrad/nn/...> paths
// still compile and name the same classes.
#include <tapegrad/optim/adam.hpp>
#include <tapegrad/optim/sgd.hpp>
#include <tapegrad/optim.hpp>

namespace tg::test {
namespace {

/// loss = ½ Σ p², so the gradient is p itself: each step's gradient is known by hand.
void take_steps(optim::Optimizer<double>& opt, Tensor<double>& p, int steps) {
    Tape tape;
    for (int i = 0; i < steps; ++i) {
        opt.zero_grad();
        tape.backward(sum(square(p)) * 0.5);
        opt.step();
    }
}

TEST(SGD, PlainStepIsGradientDescent) {
    Tensor<double> p = parameter<double>(Array<double>{1.0, -2.0});
    optim::SGD<double> sgd({p}, 0.1);
    take_steps(sgd, p, 2);
    // p ← p − 0.1 p twice: p · 0.9²
    EXPECT_DOUBLE_EQ(p.value()(0), 0.81);
    EXPECT_DOUBLE_EQ(p.value()(1), -1.62);
}

TEST(SGD, MomentumAndWeightDecayMatchTwoHandComputedSteps) {
    Tensor<double> p = parameter<double>(Array<double>{1.0, -2.0});
    optim::SGD<double> sgd({p}, 0.1, {/*momentum=*/0.9, /*weight_decay=*/0.1});
    // For p₀ = 1 (g = p, λ = 0.1, μ = 0.9, lr = 0.1):
    //   step 1: d = 1.1·1 = 1.1        v = 1.1                    p = 1 − 0.11 = 0.89
    //   step 2: d = 1.1·0.89 = 0.979   v = 0.9·1.1 + 0.979 = 1.969 p = 0.89 − 0.1969 = 0.6931
    // Everything is linear in p₀, so p₀ = −2 ends at −1.3862.
    take_steps(sgd, p, 1);
    EXPECT_NEAR(p.value()(0), 0.89, 1e-15);
    take_steps(sgd, p, 1);
    EXPECT_NEAR(p.value()(0), 0.6931, 1e-15);
    EXPECT_NEAR(p.value()(1), -1.3862, 1e-15);
}

TEST(SGD, NesterovMatchesHandComputedSteps) {
    Tensor<double> p = parameter<double>(Array<double>{1.0});
    optim::SGD<double> sgd({p}, 0.1, {0.5, 0.0, /*nesterov=*/true});
    // step 1: d = 1, v = 1, p = 1 − 0.1·(1 + 0.5·1) = 0.85
    // step 2: d = 0.85, v = 0.5 + 0.85 = 1.35, p = 0.85 − 0.1·(0.85 + 0.675) = 0.6975
    take_steps(sgd, p, 2);
    EXPECT_NEAR(p.value()(0), 0.6975, 1e-15);
}

TEST(Adam, MatchesTwoHandComputedSteps) {
    Tensor<double> p = parameter<double>(Array<double>{1.0, -2.0});
    optim::Adam<double> adam({p}, 0.1);  // β₁ = 0.9, β₂ = 0.999, ε = 1e-8
    // p₀ = 1, g = p:
    //   step 1: m = 0.1, v = 0.001, m̂ = 1, v̂ = 1, p = 1 − 0.1/(1 + 1e-8) = 0.900000001
    //   step 2: g = 0.900000001, m = 0.09 + 0.0900000001 = 0.1800000001,
    //           v = 0.000999 + 0.001·g² = 0.0018090000018, m̂ = m/0.19, v̂ = v/0.001999,
    //           p = p − 0.1·m̂/(√v̂ + ε) = 0.80041222971233739...
    // p₀ = −2: m̂/√v̂ = −1 at step 1, p = −2 + 0.1·2/(2 + 1e-8) = −1.9000000005, then
    //           p = −1.80016648662109213...
    take_steps(adam, p, 1);
    EXPECT_NEAR(p.value()(0), 0.90000000099999999, 1e-15);
    EXPECT_NEAR(p.value()(1), -1.9000000004999999975, 1e-15);
    take_steps(adam, p, 1);
    EXPECT_NEAR(p.value()(0), 0.80041222971233739, 1e-14);
    EXPECT_NEAR(p.value()(1), -1.80016648662109214, 1e-14);
}

TEST(Adam, WeightDecayAddsToTheGradient) {
    Tensor<double> p = parameter<double>(Array<double>{1.0});
    optim::Adam<double> adam({p}, 0.1, {0.9, 0.999, 1e-8, /*weight_decay=*/0.1});
    // d = 1.1 p: step 1 gives p = 1 − 0.1·1.1/(1.1 + 1e-8) = 0.9000000009090909...,
    // step 2 (same recurrences with d) 0.80041222952678371...
    take_steps(adam, p, 2);
    EXPECT_NEAR(p.value()(0), 0.80041222952678371, 1e-14);
}

TEST(Optimizer, SkipsParametersWithoutGradientAndRecordsNothing) {
    Tensor<double> used = parameter<double>(Array<double>{1.0});
    Tensor<double> unused = parameter<double>(Array<double>{5.0});
    optim::Adam<double> adam({used, unused}, 0.1);
    Tape tape;
    tape.backward(sum(square(used)));
    const std::size_t entries = tape.size();
    adam.step();  // a tape is active: the step must not record
    EXPECT_EQ(tape.size(), entries);
    EXPECT_EQ(unused.value()(0), 5.0);
    EXPECT_LT(used.value()(0), 1.0);
}

TEST(Optimizer, ZeroGradDropsGradientsOrSetsThemToZero) {
    Tensor<double> p = parameter<double>(Array<double>{1.0, -2.0});
    optim::SGD<double> sgd({p}, 0.1);
    Tape tape;
    tape.backward(sum(square(p)) * 0.5);  // d/dp = p
    const Tensor<double> held = p.grad();
    sgd.zero_grad();  // set_to_none, as in PyTorch
    EXPECT_FALSE(p.has_grad());
    EXPECT_EQ(held.value(), (Array<double>{1.0, -2.0}));  // a held gradient keeps its values
    sgd.step();                                           // no gradient: p is skipped
    EXPECT_EQ(p.value(), (Array<double>{1.0, -2.0}));
    // The next backward's gradient is p's new gradient, not a sum with the old one, and
    // later backward calls add to it.
    tape.backward(sum(square(p)) * 0.5);
    EXPECT_EQ(p.grad().value(), (Array<double>{1.0, -2.0}));
    EXPECT_EQ(held.value(), (Array<double>{1.0, -2.0}));
    EXPECT_FALSE(p.grad().same(held));
    tape.backward(sum(square(p)) * 0.5);
    EXPECT_EQ(p.grad().value(), (Array<double>{2.0, -4.0}));
    EXPECT_EQ(held.value(), (Array<double>{1.0, -2.0}));
    // set_to_none = false: zeros in the same buffer.
    const Tensor<double> before = p.grad();
    sgd.zero_grad(/*set_to_none=*/false);
    EXPECT_TRUE(p.grad().same(before));
    EXPECT_EQ(p.grad().value(), (Array<double>{0.0, 0.0}));
}

TEST(Optimizer, RejectsBadArguments) {
    Tensor<double> p = parameter<double>(Array<double>{1.0});
    Tensor<double> constant(Array<double>{1.0});
    EXPECT_THROW(optim::SGD<double>({constant}, 0.1), ValueError);
    EXPECT_THROW(optim::SGD<double>({p}, -1.0), ValueError);
    EXPECT_THROW(optim::Adam<double>({p}, 0.1, {1.0}), ValueError);
    EXPECT_THROW(optim::SGD<double>({p}, 0.1, {0.0, 0.0, true}), ValueError);
}

TEST(Optimizer, FloatParametersStep) {
    Tensor<float> p = parameter<float>(Array<float>{1.0f});
    optim::Adam<float> adam({p}, 0.1f);
    Tape tape;
    for (int i = 0; i < 2; ++i) {
        adam.zero_grad();
        tape.backward(sum(square(p)) * 0.5f);
        adam.step();
    }
    EXPECT_NEAR(p.value()(0), 0.80041223f, 1e-6f);
}

TEST(Optimizer, AdamBeatsPlainSgdOnBlogDataInTheSameSteps) {
    constexpr int steps = 300;
    nn::Rng data_rng(11);
    BlogData<double> data = blog_data(128, data_rng);
    const Tensor<double> x(data.x), y(data.y);
    const auto train = [&](auto make_optimizer) {
        nn::Rng rng(12);  // same initial weights for both
        nn::Sequential<double> net = blog_network(rng);
        auto opt = make_optimizer(net.parameters());
        Tape tape;
        for (int i = 0; i < steps; ++i) {
            opt.zero_grad();
            tape.backward(nn::half_sse_per_example(net(x), y));
            opt.step();
        }
        NoGradGuard no_grad;
        return nn::rmse(net(x), y).item();
    };
    const double sgd =
        train([](std::vector<Tensor<double>> p) { return optim::SGD<double>(std::move(p), 0.5); });
    const double adam = train(
        [](std::vector<Tensor<double>> p) { return optim::Adam<double>(std::move(p), 0.01); });
    EXPECT_LT(adam, 0.8 * sgd) << "RMSE after " << steps << " steps: Adam " << adam << ", SGD "
                               << sgd;
}

}  // namespace
}  // namespace tg::test
