// The learning-rate schedules against PyTorch: each scheduler's sequence of rates, for
// two parameter groups (lr 0.1 and 0.05), equals torch.optim.lr_scheduler's (numbers
// from tests/data/make_optim_reference.py) to 1e-15 relative; ReduceLROnPlateau with
// patience, cooldown, thresholds and min_lr; closed forms where PyTorch has them.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "nn/torch_reference.hpp"
#include "optim/two_groups.hpp"

#include <functional>
#include <memory>

namespace tg::test {
namespace {

void expect_same_rates(const std::string& key, const std::vector<double>& got) {
    const std::vector<double> expected = reference_vector(key);
    ASSERT_EQ(got.size(), expected.size()) << key;
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], expected[i], 1e-15 * std::abs(expected[i]))
            << key << " at epoch " << i << " (torch " << expected[i] << ")";
}

using Make = std::function<std::unique_ptr<optim::LRScheduler<double>>(optim::Optimizer<double>&)>;

/// The rates after construction and after each of `steps` steps equal PyTorch's.
void expect_torch_schedule(const std::string& name, const Make& make, int steps) {
    TwoGroups t;
    std::unique_ptr<optim::LRScheduler<double>> schedule = make(t.sgd);
    std::vector<double> g0{t.lrs()[0]}, g1{t.lrs()[1]};
    for (int i = 0; i < steps; ++i) {
        t.sgd.step();  // no gradients: skips every parameter
        schedule->step();
        g0.push_back(t.lrs()[0]);
        g1.push_back(t.lrs()[1]);
        EXPECT_EQ(schedule->last_lr(), t.lrs());
        EXPECT_EQ(schedule->last_epoch(), i + 1);
    }
    expect_same_rates("sched." + name + ".g0", g0);
    expect_same_rates("sched." + name + ".g1", g1);
}

template <class S, class... Args>
Make make(Args... args) {
    return [=](optim::Optimizer<double>& opt) -> std::unique_ptr<optim::LRScheduler<double>> {
        return std::make_unique<S>(opt, args...);
    };
}

TEST(StepLR, MatchesPyTorch) {
    expect_torch_schedule("step", make<optim::StepLR<double>>(std::int64_t{3}, 0.5), 10);
}

TEST(ExponentialLR, MatchesPyTorch) {
    expect_torch_schedule("exponential", make<optim::ExponentialLR<double>>(0.9), 10);
}

TEST(CosineAnnealingLR, MatchesPyTorchPastTMax) {
    expect_torch_schedule("cosine", make<optim::CosineAnnealingLR<double>>(std::int64_t{5}, 0.01),
                          23);
    expect_torch_schedule("cosine_zero_min",
                          make<optim::CosineAnnealingLR<double>>(std::int64_t{10}), 12);
}

TEST(CosineAnnealingLR, ChainableFormFollowsTheClosedForm) {
    TwoGroups t;
    optim::CosineAnnealingLR<double> cosine(t.sgd, 8, 0.001);
    for (int epoch = 1; epoch <= 8; ++epoch) {
        cosine.step();
        const double closed = 0.001 + (0.1 - 0.001) * (1 + std::cos(M_PI * epoch / 8)) / 2;
        EXPECT_NEAR(t.lrs()[0], closed, 1e-15) << "epoch " << epoch;
    }
    EXPECT_NEAR(t.lrs()[0], 0.001, 1e-15);
}

TEST(LinearLR, MatchesPyTorch) {
    expect_torch_schedule("linear", make<optim::LinearLR<double>>(), 8);
    expect_torch_schedule("linear_options",
                          make<optim::LinearLR<double>>(0.5, 0.1, std::int64_t{4}), 7);
}

TEST(OneCycleLR, MatchesPyTorch) {
    // PyTorch's cases without cycle_momentum (the rates do not depend on it).
    optim::OneCycleOptions o;
    o.cycle_momentum = false;
    expect_torch_schedule("onecycle", make<optim::OneCycleLR<double>>(1.0, std::int64_t{20}, o), 19);
    o.anneal_strategy = optim::Anneal::linear;
    expect_torch_schedule(
        "onecycle_linear",
        make<optim::OneCycleLR<double>>(std::vector<double>{1.0, 0.5}, std::int64_t{13}, o),
        12);
    expect_torch_schedule(
        "onecycle_three_phase",
                          make<optim::OneCycleLR<double>>(
                              0.8, std::int64_t{17},
                              optim::OneCycleOptions{0.25, optim::Anneal::cos, 10, 100, true}),
                          16);
}

/// OneCycleLR on two groups (lr 0.1 and 0.05) of an SGD, Adam or RMSprop built without
/// momentum options: its rates and momenta (SGD's and RMSprop's μ, Adam's β₁) after
/// construction and after each of total_steps steps, the last one included, equal
/// PyTorch's (case `name` of make_optim_reference.py) to 1e-15 relative.
template <class O>
void expect_torch_one_cycle(const std::string& name, std::vector<double> max_lrs,
                            std::int64_t total_steps, const optim::OneCycleOptions& options) {
    SCOPED_TRACE(name);
    Tensor<double> w = parameter<double>(Array<double>{0.0});
    Tensor<double> v = parameter<double>(Array<double>{0.0});
    O opt(std::vector<optim::ParamGroup<double>>{{{w}}, {{v}, 0.05}}, 0.1);
    optim::OneCycleLR<double> schedule(opt, std::move(max_lrs), total_steps, options);
    std::vector<double> lrs[2], momenta[2];
    auto record = [&] {
        for (std::size_t g = 0; g < 2; ++g) {
            lrs[g].push_back(opt.param_groups()[g].learning_rate);
            momenta[g].push_back(opt.param_groups()[g].momentum.value());
        }
    };
    record();
    for (std::int64_t i = 0; i < total_steps; ++i) {
        opt.step();
        schedule.step();  // step total_steps too: PyTorch sets its extrapolated rate
        record();
    }
    for (std::size_t g = 0; g < 2; ++g) {
        expect_same_rates("sched." + name + ".g" + std::to_string(g), lrs[g]);
        expect_same_rates("sched." + name + ".m" + std::to_string(g), momenta[g]);
    }
    EXPECT_THROW(schedule.step(), ValueError);  // the step after total_steps
}

TEST(OneCycleLR, CycledMomentumMatchesPyTorchToTheLastStep) {
    optim::OneCycleOptions o;  // cos, cycle_momentum (PyTorch's defaults)
    expect_torch_one_cycle<optim::SGD<double>>("onecycle_momentum_cos", {1.0, 1.0}, 20, o);
    o.anneal_strategy = optim::Anneal::linear;
    o.base_momentum = 0.8;
    o.max_momentum = 0.9;
    expect_torch_one_cycle<optim::SGD<double>>("onecycle_momentum_linear", {1.0, 0.5}, 13, o);
    o = {0.25, optim::Anneal::cos, 10, 100, true};
    expect_torch_one_cycle<optim::Adam<double>>("onecycle_momentum_cos_three_phase", {0.8, 0.8}, 17,
                                                o);
    o = {};
    o.anneal_strategy = optim::Anneal::linear;
    o.three_phase = true;
    o.base_momentum = 0.7;
    o.max_momentum = 0.99;
    expect_torch_one_cycle<optim::Adam<double>>("onecycle_momentum_linear_three_phase", {0.8, 0.4},
                                                11, o);
    o = {};
    o.anneal_strategy = optim::Anneal::linear;
    expect_torch_one_cycle<optim::RMSprop<double>>("onecycle_momentum_rmsprop", {0.5, 0.5}, 7, o);
}

TEST(OneCycleLR, DefaultsAndStepsPastTheEnd) {
    TwoGroups t;
    optim::OneCycleLR<double> schedule(t.sgd, 1.0, 10);
    // max + (initial − max) at step 0, as PyTorch: 1/25 up to rounding.
    EXPECT_NEAR(t.lrs()[0], 1.0 / 25, 1e-16);  // div_factor 25
    EXPECT_DOUBLE_EQ(*t.sgd.param_groups()[0].initial_learning_rate, 1.0 / 25);
    // cycle_momentum: the momentum starts at max_momentum 0.95, and SGD keeps a buffer.
    EXPECT_EQ(t.sgd.param_groups()[1].momentum, 0.95);
    EXPECT_EQ(t.sgd.buffer_names(), std::vector<std::string>{"momentum_buffer"});
    for (int i = 0; i < 9; ++i) schedule.step();
    EXPECT_DOUBLE_EQ(t.lrs()[0], 1.0 / 25 / 1e4);  // final_div_factor 1e4, at step 9
    schedule.step();                               // step 10: PyTorch allows it too
    expect_message<ValueError>([&] { schedule.step(); },
                               {"OneCycleLR: tried to step 12 times", "total steps is 10"});
    // Linear annealing extrapolates below 0 at step total_steps, as PyTorch's: set, not
    // refused, so that a loop of exactly total_steps steps ends normally.
    TwoGroups u;
    optim::OneCycleOptions linear;
    linear.anneal_strategy = optim::Anneal::linear;
    optim::OneCycleLR<double> to_the_end(u.sgd, 1.0, 10, linear);
    for (int i = 0; i < 10; ++i) to_the_end.step();
    EXPECT_LT(u.lrs()[0], 0.0);
}

TEST(OneCycleLR, CycleMomentumNeedsAMomentum) {
    // PyTorch: "optimizer must support momentum with `cycle_momentum` option enabled".
    Tensor<double> w = parameter<double>(Array<double>{0.0});
    optim::Adagrad<double> adagrad({w}, 0.1);
    expect_message<ValueError>([&] { optim::OneCycleLR<double>(adagrad, 1.0, 10); },
                               {"OneCycleLR: cycle_momentum needs an optimizer with a momentum",
                                "Adagrad has neither: pass cycle_momentum = false"});
    optim::OneCycleOptions off;
    off.cycle_momentum = false;
    optim::OneCycleLR<double> schedule(adagrad, 1.0, 10, off);
    EXPECT_FALSE(adagrad.param_groups()[0].momentum.has_value());
    // Out-of-range momenta are refused as the optimizer's option would be.
    TwoGroups t;
    optim::OneCycleOptions bad;
    bad.max_momentum = -0.5;
    expect_message<ValueError>([&] { optim::OneCycleLR<double>(t.sgd, 1.0, 10, bad); },
                               {"SGD: momentum (-0.5", "must be >= 0"});
    Tensor<double> p = parameter<double>(Array<double>{0.0});
    optim::Adam<double> adam({p});
    bad.max_momentum = 1.0;
    expect_message<ValueError>([&] { optim::OneCycleLR<double>(adam, 1.0, 10, bad); },
                               {"Adam: beta1 (1", "must lie in [0, 1)"});
}

TEST(SequentialLR, WarmupThenCosineMatchesPyTorch) {
    expect_torch_schedule(
        "warmup_cosine",
        [](optim::Optimizer<double>& opt) -> std::unique_ptr<optim::LRScheduler<double>> {
            std::vector<std::unique_ptr<optim::LRScheduler<double>>> parts;
            parts.push_back(std::make_unique<optim::LinearLR<double>>(opt, 0.1, 1.0, 3));
            parts.push_back(std::make_unique<optim::CosineAnnealingLR<double>>(opt, 7, 0.001));
            return std::make_unique<optim::SequentialLR<double>>(opt, std::move(parts),
                                                                 std::vector<std::int64_t>{3});
        },
        12);
}

TEST(Schedulers, RejectBadArguments) {
    TwoGroups t;
    expect_message<ValueError>([&] { optim::StepLR<double>(t.sgd, 0); },
                               {"StepLR: step_size 0 must be >= 1"});
    expect_message<ValueError>([&] { optim::CosineAnnealingLR<double>(t.sgd, 0); },
                               {"CosineAnnealingLR: T_max 0 must be >= 1"});
    expect_message<ValueError>([&] { optim::LinearLR<double>(t.sgd, 0.0); },
                               {"LinearLR: start_factor (0", "(0, 1]"});
    expect_message<ValueError>([&] { optim::OneCycleLR<double>(t.sgd, std::vector<double>{1.0}, 10); },
                               {"OneCycleLR: 1 max_lr values for an optimizer of 2"});
    expect_message<ValueError>(
        [&] {
            std::vector<std::unique_ptr<optim::LRScheduler<double>>> parts;
            parts.push_back(std::make_unique<optim::ExponentialLR<double>>(t.sgd, 0.9));
            optim::SequentialLR<double>(t.sgd, std::move(parts), {3});
        },
        {"SequentialLR: 1 schedulers need 0 milestones; got 1"});
}

// ---- ReduceLROnPlateau --------------------------------------------------------------------

void expect_torch_plateau(const std::string& name, optim::PlateauOptions options) {
    TwoGroups t;
    optim::ReduceLROnPlateau<double> schedule(t.sgd, options);
    std::vector<double> g0, g1;
    for (double metric : reference_vector("plateau." + name + ".metrics")) {
        schedule.step(metric);
        g0.push_back(t.lrs()[0]);
        g1.push_back(t.lrs()[1]);
    }
    expect_same_rates("plateau." + name + ".g0", g0);
    expect_same_rates("plateau." + name + ".g1", g1);
    EXPECT_NE(g0.front(), g0.back()) << name << ": the schedule never cut the rate";
}

TEST(ReduceLROnPlateau, MatchesPyTorch) {
    using O = optim::PlateauOptions;
    O patience2;
    patience2.patience = 2;
    expect_torch_plateau("min", patience2);
    O cooldown;
    cooldown.patience = 1;
    cooldown.cooldown = 2;
    cooldown.factor = 0.5;
    cooldown.min_lr = 0.02;
    expect_torch_plateau("min_cooldown", cooldown);
    O absolute;
    absolute.patience = 1;
    absolute.threshold = 0.05;
    absolute.threshold_mode = O::ThresholdMode::abs;
    absolute.factor = 0.5;
    expect_torch_plateau("min_abs", absolute);
    O max;
    max.mode = O::Mode::max;
    max.patience = 2;
    max.factor = 0.3;
    expect_torch_plateau("max", max);
}

TEST(ReduceLROnPlateau, PatienceAndCooldownByHand) {
    TwoGroups t;
    optim::PlateauOptions o;
    o.patience = 1;
    o.cooldown = 2;
    o.factor = 0.5;
    optim::ReduceLROnPlateau<double> schedule(t.sgd, o);
    schedule.step(1.0);  // best 1
    schedule.step(1.0);  // bad 1 (not more than patience)
    EXPECT_EQ(t.lrs()[0], 0.1);
    schedule.step(1.0);  // bad 2 > 1: cut, cooldown 2
    EXPECT_EQ(t.lrs()[0], 0.05);
    EXPECT_EQ(schedule.cooldown_counter(), 2);
    schedule.step(1.0);  // cooldown: not counted
    schedule.step(1.0);  // cooldown: not counted
    EXPECT_EQ(t.lrs()[0], 0.05);
    EXPECT_EQ(schedule.num_bad_epochs(), 0);
    schedule.step(1.0);  // bad 1
    schedule.step(1.0);  // bad 2: cut
    EXPECT_EQ(t.lrs()[0], 0.025);
    EXPECT_EQ(t.lrs()[1], 0.0125);
    schedule.step(0.5);  // an improvement
    EXPECT_EQ(schedule.best(), 0.5);
    expect_message<ValueError>(
        [&] {
            optim::PlateauOptions bad;
            bad.factor = 1.0;
            optim::ReduceLROnPlateau<double>(t.sgd, bad);
        },
        {"ReduceLROnPlateau: factor 1", "[0, 1)"});
}

}  // namespace
}  // namespace tg::test
