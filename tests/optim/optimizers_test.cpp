// AdamW, RMSprop, Adagrad, SGD's nesterov and parameter groups against PyTorch: three
// steps on fixed parameters give PyTorch's values to 1e-12 in double (the numbers come
// from tests/data/make_optim_reference.py); gradient clipping against PyTorch too.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "nn/torch_reference.hpp"

#include <functional>
#include <memory>
#include <xtensor/xmath.hpp>

namespace tg::test {
namespace {

const Shape kShapes[] = {Shape{2, 3}, Shape{4}};

/// p0 (2, 3) and p1 (4,) at their initial values of case `name`.
std::vector<Tensor<double>> initial_parameters(const std::string& name) {
    std::vector<Tensor<double>> ps;
    for (int i = 0; i < 2; ++i)
        ps.push_back(parameter<double>(
            reference_array("optim." + name + ".p" + std::to_string(i) + ".init", kShapes[i])));
    return ps;
}

/// 0.5 Σ (a p)² + Σ b p over both parameters: its gradient is a² p + b.
Tensor<double> reference_loss(const std::vector<Tensor<double>>& ps) {
    Tensor<double> total(0.0);
    for (int i = 0; i < 2; ++i) {
        const Tensor<double> a(reference_array("loss.a.p" + std::to_string(i), kShapes[i]));
        const Tensor<double> b(reference_array("loss.b.p" + std::to_string(i), kShapes[i]));
        total = total + sum(square(a * ps[i])) * 0.5 + sum(b * ps[i]);
    }
    return total;
}

using Factory = std::function<std::unique_ptr<optim::Optimizer<double>>(std::vector<Tensor<double>>)>;
using ScheduleFactory =
    std::function<std::unique_ptr<optim::LRScheduler<double>>(optim::Optimizer<double>&)>;

/// Three steps of the optimizer `make` builds equal PyTorch's steps of case `name` to
/// 1e-12 (absolute; the parameters are of order 1); with `schedule`, a scheduler on it
/// steps after each step.
void expect_torch_steps(const std::string& name, const Factory& make,
                        const ScheduleFactory& schedule = nullptr) {
    std::vector<Tensor<double>> ps = initial_parameters(name);
    std::unique_ptr<optim::Optimizer<double>> opt = make(ps);
    std::unique_ptr<optim::LRScheduler<double>> scheduler = schedule ? schedule(*opt) : nullptr;
    Tape tape;
    for (int step = 1; step <= 3; ++step) {
        opt->zero_grad();
        tape.backward(reference_loss(ps));
        opt->step();
        if (scheduler) scheduler->step();
        for (int i = 0; i < 2; ++i) {
            const std::string key =
                "optim." + name + ".p" + std::to_string(i) + ".step" + std::to_string(step);
            const Array<double> expected = reference_array(key, kShapes[i]);
            const double error = xt::amax(xt::abs(ps[i].value() - expected))();
            EXPECT_LE(error, 1e-12) << key << ": max |tapegrad − torch| = " << error;
            // The steps really move the parameters (a test that cannot fail is no test).
            EXPECT_GT(xt::amax(xt::abs(ps[i].value() -
                                       reference_array("optim." + name + ".p" +
                                                           std::to_string(i) + ".init",
                                                       kShapes[i])))(),
                      1e-6)
                << key;
        }
    }
}

template <class O, class... Args>
Factory make(Args... args) {
    return [=](std::vector<Tensor<double>> ps) -> std::unique_ptr<optim::Optimizer<double>> {
        return std::make_unique<O>(std::move(ps), args...);
    };
}

TEST(AdamW, MatchesPyTorch) {
    expect_torch_steps("adamw", make<optim::AdamW<double>>(0.1));
    expect_torch_steps("adamw_options", make<optim::AdamW<double>>(
                                            0.05, optim::AdamWOptions{0.8, 0.95, 1e-6, 0.3}));
    expect_torch_steps("adamw_amsgrad", make<optim::AdamW<double>>(
                                            0.1, optim::AdamWOptions{0.9, 0.999, 1e-8, 0.05, true}));
}

TEST(AdamW, DefaultsArePyTorchs) {
    Tensor<double> p = parameter<double>(Array<double>{1.0});
    optim::AdamW<double> adamw({p});
    EXPECT_EQ(adamw.learning_rate(), 1e-3);
    EXPECT_EQ(adamw.options().beta1, 0.9);
    EXPECT_EQ(adamw.options().beta2, 0.999);
    EXPECT_EQ(adamw.options().eps, 1e-8);
    EXPECT_EQ(adamw.param_groups()[0].weight_decay, 1e-2);
    EXPECT_FALSE(adamw.options().amsgrad);
    EXPECT_EQ(adamw.name(), "AdamW");
}

TEST(Adam, AmsgradMatchesPyTorch) {
    expect_torch_steps("adam_amsgrad",
                       make<optim::Adam<double>>(0.1, optim::AdamOptions{0.9, 0.999, 1e-8, 0.1, true}));
}

TEST(RMSprop, MatchesPyTorchPlainWithMomentumAndCentered) {
    using O = optim::RMSpropOptions;
    expect_torch_steps("rmsprop", make<optim::RMSprop<double>>(0.01));
    expect_torch_steps("rmsprop_momentum",
                       make<optim::RMSprop<double>>(0.01, O{0.99, 1e-8, 0.1, 0.9, false}));
    expect_torch_steps("rmsprop_centered",
                       make<optim::RMSprop<double>>(0.01, O{0.9, 1e-8, 0.0, 0.0, true}));
    expect_torch_steps("rmsprop_centered_momentum",
                       make<optim::RMSprop<double>>(0.02, O{0.95, 1e-4, 0.05, 0.5, true}));
}

TEST(Adagrad, MatchesPyTorch) {
    expect_torch_steps("adagrad", make<optim::Adagrad<double>>(0.1));
    expect_torch_steps("adagrad_options",
                       make<optim::Adagrad<double>>(0.1, optim::AdagradOptions{0.1, 0.1, 0.5, 1e-6}));
}

TEST(SGD, NesterovMatchesPyTorch) {
    expect_torch_steps("sgd_nesterov",
                       make<optim::SGD<double>>(0.1, optim::SGDOptions{0.9, 0.01, true}));
}

TEST(ParamGroups, OwnLearningRateAndWeightDecayMatchPyTorch) {
    expect_torch_steps("adamw_groups", [](std::vector<Tensor<double>> ps) {
        std::vector<optim::ParamGroup<double>> groups{{{ps[0]}, 0.1}, {{ps[1]}, 0.01, 0.5}};
        return std::make_unique<optim::AdamW<double>>(groups, 0.05);
    });
    expect_torch_steps("sgd_groups", [](std::vector<Tensor<double>> ps) {
        std::vector<optim::ParamGroup<double>> groups{{{ps[0]}}, {{ps[1]}, 0.3, 0.1}};
        return std::make_unique<optim::SGD<double>>(groups, 0.1, optim::SGDOptions{0.5});
    });
}

TEST(OneCycleLR, CycledMomentumStepsMatchPyTorch) {
    // OneCycleLR's cycle_momentum (on by default, as in PyTorch) sets each group's
    // momentum: SGD and RMSprop built without one get it (and a momentum buffer), Adam's
    // β₁ moves.
    auto one_cycle = [](double max_lr, optim::OneCycleOptions o) -> ScheduleFactory {
        return [=](optim::Optimizer<double>& opt) {
            return std::make_unique<optim::OneCycleLR<double>>(opt, max_lr, 3, o);
        };
    };
    optim::OneCycleOptions linear;
    linear.anneal_strategy = optim::Anneal::linear;
    expect_torch_steps("sgd_onecycle", make<optim::SGD<double>>(0.1), one_cycle(0.5, linear));
    optim::OneCycleOptions three_phase;
    three_phase.pct_start = 0.4;
    three_phase.three_phase = true;
    expect_torch_steps("adam_onecycle", make<optim::Adam<double>>(0.1),
                       one_cycle(0.3, three_phase));
    expect_torch_steps(
        "rmsprop_onecycle",
        make<optim::RMSprop<double>>(0.01, optim::RMSpropOptions{0.99, 1e-8, 0, 0, true}),
        one_cycle(0.05, {}));
}

TEST(ParamGroups, SettingsAndParameterOrder) {
    Tensor<double> a = parameter<double>(Array<double>{1.0});
    Tensor<double> b = parameter<double>(Array<double>{2.0, 3.0});
    Tensor<double> c = parameter<double>(Array<double>{4.0});
    std::vector<optim::ParamGroup<double>> groups{{{a, b}}, {{c}, 0.5, 0.25}};
    optim::Adam<double> adam(groups, 0.1, optim::AdamOptions{0.9, 0.999, 1e-8, 0.01});
    ASSERT_EQ(adam.param_groups().size(), 2u);
    EXPECT_EQ(adam.param_groups()[0].first, 0u);
    EXPECT_EQ(adam.param_groups()[0].count, 2u);
    EXPECT_EQ(adam.param_groups()[0].learning_rate, 0.1);
    EXPECT_EQ(adam.param_groups()[0].weight_decay, 0.01);
    EXPECT_EQ(adam.param_groups()[1].first, 2u);
    EXPECT_EQ(adam.param_groups()[1].learning_rate, 0.5);
    EXPECT_EQ(adam.param_groups()[1].weight_decay, 0.25);
    ASSERT_EQ(adam.parameters().size(), 3u);
    EXPECT_TRUE(adam.parameters()[1].same(b));
    EXPECT_TRUE(adam.parameters()[2].same(c));
    EXPECT_EQ(adam.learning_rate(), 0.1);  // group 0's
    adam.set_learning_rate(1, 0.05);
    EXPECT_EQ(adam.param_groups()[1].learning_rate, 0.05);
    adam.set_learning_rate(0.2);  // every group
    EXPECT_EQ(adam.param_groups()[0].learning_rate, 0.2);
    EXPECT_EQ(adam.param_groups()[1].learning_rate, 0.2);
}

TEST(ParamGroups, GroupWithLearningRateZeroDoesNotMove) {
    Tensor<double> frozen = parameter<double>(Array<double>{1.0, -1.0});
    Tensor<double> trained = parameter<double>(Array<double>{1.0, -1.0});
    std::vector<optim::ParamGroup<double>> groups{{{frozen}, 0.0}, {{trained}}};
    optim::RMSprop<double> opt(groups, 0.1);
    Tape tape;
    opt.zero_grad();
    tape.backward(sum(square(frozen)) + sum(square(trained)));
    opt.step();
    EXPECT_EQ(frozen.value(), (Array<double>{1.0, -1.0}));
    EXPECT_NE(trained.value(), (Array<double>{1.0, -1.0}));
    EXPECT_EQ(opt.state(0).step, 1u);  // stepped, with a rate of 0
}

TEST(ParamGroups, RejectsBadGroups) {
    Tensor<double> p = parameter<double>(Array<double>{1.0});
    Tensor<double> q = parameter<double>(Array<double>{1.0});
    using Groups = std::vector<optim::ParamGroup<double>>;
    expect_message<ValueError>([&] { optim::SGD<double>(Groups{{{p}}, {{q, p}}}, 0.1); },
                               {"optimizer: parameter #2 is the same tensor as parameter #0"});
    expect_message<ValueError>([&] { optim::SGD<double>(Groups{{{p}}, {{q}, -0.5}}, 0.1); },
                               {"optimizer: learning rate -0.5", "not a finite number >= 0"});
    expect_message<ValueError>([&] { optim::AdamW<double>(Groups{{{p}, 0.1, -1.0}}, 0.1); },
                               {"optimizer: weight decay -1", "not a finite number >= 0"});
    expect_message<ValueError>([&] { optim::SGD<double>(Groups{}, 0.1); },
                               {"optimizer: no parameter group given"});
}

TEST(Optimizers, RejectBadOptions) {
    Tensor<double> p = parameter<double>(Array<double>{1.0});
    expect_message<ValueError>([&] { optim::RMSprop<double>({p}, 0.1, {-0.9}); },
                               {"RMSprop: alpha (-0.9", "must be >= 0"});
    expect_message<ValueError>(
        [&] { optim::RMSprop<double>({p}, 0.1, {0.99, 1e-8, 0.0, -1.0}); },
        {"RMSprop:", "momentum (-1", "must be >= 0"});
    expect_message<ValueError>([&] { optim::Adagrad<double>({p}, 0.1, {-0.1}); },
                               {"Adagrad: lr_decay (-0.1", "must be >= 0"});
    expect_message<ValueError>([&] { optim::AdamW<double>({p}, 0.1, {0.9, 1.5}); },
                               {"beta2 (1.5", "must lie in [0, 1)"});
}

TEST(Optimizers, FloatStepsFollowDouble) {
    // The same three steps in float stay within float rounding of the double ones.
    const auto run = [](auto zero) {
        using T = decltype(zero);
        Tensor<T> p = parameter<T>(Array<T>{T(0.5), T(-1.25), T(2)});
        std::vector<std::unique_ptr<optim::Optimizer<T>>> opts;
        std::vector<Tensor<T>> ps;
        for (int k = 0; k < 4; ++k) ps.push_back(parameter<T>(Array<T>(p.value())));
        opts.push_back(std::make_unique<optim::AdamW<T>>(std::vector<Tensor<T>>{ps[0]}, T(0.1)));
        opts.push_back(std::make_unique<optim::RMSprop<T>>(
            std::vector<Tensor<T>>{ps[1]}, T(0.01), optim::RMSpropOptions{0.9, 1e-8, 0, 0.5, true}));
        opts.push_back(std::make_unique<optim::Adagrad<T>>(std::vector<Tensor<T>>{ps[2]}, T(0.1)));
        opts.push_back(std::make_unique<optim::Adam<T>>(
            std::vector<Tensor<T>>{ps[3]}, T(0.1), optim::AdamOptions{0.9, 0.999, 1e-8, 0, true}));
        Tape tape;
        for (int step = 0; step < 3; ++step)
            for (int k = 0; k < 4; ++k) {
                opts[k]->zero_grad();
                tape.backward(sum(square(ps[k]) * ps[k]));  // gradient 3 p²
                opts[k]->step();
            }
        std::vector<double> out;
        for (const auto& q : ps)
            for (T v : q.value()) out.push_back(static_cast<double>(v));
        return out;
    };
    const std::vector<double> f = run(0.0f), d = run(0.0);
    ASSERT_EQ(f.size(), d.size());
    for (std::size_t i = 0; i < f.size(); ++i) EXPECT_NEAR(f[i], d[i], 1e-5) << "value " << i;
}

// ---- clipping --------------------------------------------------------------------------------

/// Parameters whose gradients are those of case `name` in the reference file.
std::vector<Tensor<double>> with_reference_gradients(const std::string& name, Tape& tape) {
    std::vector<Tensor<double>> ps = initial_parameters("adamw");  // the script's P0, P1
    tape.backward(reference_loss(ps));
    for (int i = 0; i < 2; ++i) {
        const std::string key = "clip." + name + ".grads.p" + std::to_string(i);
        EXPECT_LE(xt::amax(xt::abs(ps[i].grad().value() - reference_array(key, kShapes[i])))(),
                  1e-15)
            << key;
    }
    return ps;
}

void expect_clipped(const std::string& name, const std::vector<Tensor<double>>& ps) {
    for (int i = 0; i < 2; ++i) {
        const std::string key = "clip." + name + ".clipped.p" + std::to_string(i);
        EXPECT_LE(xt::amax(xt::abs(ps[i].grad().value() - reference_array(key, kShapes[i])))(),
                  1e-14)
            << key;
    }
}

TEST(ClipGrad, NormMatchesPyTorch) {
    const struct {
        const char* name;
        double max_norm, norm_type;
    } cases[] = {{"norm2", 1.0, 2.0},
                 {"norm2_unclipped", 100.0, 2.0},
                 {"norm_inf", 0.5, std::numeric_limits<double>::infinity()},
                 {"norm1", 2.0, 1.0}};
    for (const auto& c : cases) {
        Tape tape;
        std::vector<Tensor<double>> ps = with_reference_gradients(c.name, tape);
        const double norm = nn::clip_grad_norm_(ps, c.max_norm, c.norm_type);
        const double expected = reference_vector(std::string("clip.") + c.name + ".norm").at(0);
        EXPECT_NEAR(norm, expected, 1e-14 * expected) << c.name;
        expect_clipped(c.name, ps);
    }
}

TEST(ClipGrad, ValueMatchesPyTorch) {
    Tape tape;
    std::vector<Tensor<double>> ps = with_reference_gradients("value", tape);
    nn::clip_grad_value_(ps, 0.7);
    expect_clipped("value", ps);
}

TEST(ClipGrad, SkipsParametersWithoutGradientAndRejectsBadArguments) {
    Tensor<double> p = parameter<double>(Array<double>{3.0, 4.0});
    Tensor<double> unused = parameter<double>(Array<double>{1.0});
    EXPECT_EQ(nn::clip_grad_norm_<double>({p, unused}, 1.0), 0.0);  // no gradient at all
    Tape tape;
    tape.backward(sum(p * Tensor<double>(Array<double>{3.0, 4.0})));  // gradient (3, 4)
    EXPECT_DOUBLE_EQ(nn::clip_grad_norm_<double>({p, unused}, 1.0), 5.0);
    // PyTorch's factor max_norm / (N + 1e-6): (3, 4) · 0.99999980, not (0.6, 0.8).
    const double scale = 1.0 / (5.0 + 1e-6);
    EXPECT_EQ(p.grad().value()(0), 3.0 * scale);
    EXPECT_EQ(p.grad().value()(1), 4.0 * scale);
    EXPECT_FALSE(unused.has_grad());
    expect_message<ValueError>([&] { nn::clip_grad_norm_<double>({p}, -1.0); },
                               {"clip_grad_norm_: max_norm (-1", "must be >= 0"});
    expect_message<ValueError>([&] { nn::clip_grad_norm_<double>({p}, 1.0, 0.0); },
                               {"norm_type (0", "> 0"});
    expect_message<ValueError>([&] { nn::clip_grad_value_<double>({p}, -0.1); },
                               {"clip_grad_value_: clip_value (-0.1", "must be >= 0"});
}

TEST(ClipGrad, FloatGradients) {
    Tensor<float> p = parameter<float>(Array<float>{1.0f, -2.0f});
    Tape tape;
    tape.backward(sum(square(p)));  // gradient (2, −4), norm √20
    EXPECT_NEAR(nn::clip_grad_norm_<float>({p}, 1.0), std::sqrt(20.0), 1e-6);
    EXPECT_NEAR(p.grad().value()(0), 2 / std::sqrt(20.0), 1e-6);
    nn::clip_grad_value_<float>({p}, 0.1);
    EXPECT_EQ(p.grad().value()(1), -0.1f);
}

}  // namespace
}  // namespace tg::test
