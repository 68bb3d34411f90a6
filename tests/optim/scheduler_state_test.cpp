// Scheduler state (<tapegrad/optim/scheduler_state.hpp>): for every scheduler, N steps,
// the optimizer's state file and the scheduler's state_dict() loaded into an optimizer
// and a scheduler built anew, then N more steps give the rates (and OneCycleLR's
// momenta) of 2N uninterrupted steps bit for bit, and the same state at the end; a state
// that does not fit is refused naming the entry, nothing changed.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "optim/two_groups.hpp"

#include <functional>
#include <memory>

namespace tg::test {
namespace {

using Make = std::function<std::unique_ptr<optim::Scheduler>(optim::Optimizer<double>&)>;
/// Steps a scheduler with the metric of epoch i (ReduceLROnPlateau's), or without.
using Step = std::function<void(optim::Scheduler&, int)>;

void step_lr(optim::Scheduler& s, int) { dynamic_cast<optim::LRScheduler<double>&>(s).step(); }

void step_plateau(optim::Scheduler& s, int epoch) {
    static const double metric[] = {1.0, 0.9, 0.95, 0.96, 0.97, 0.99, 0.98, 0.97, 1.0,  1.0,
                                    1.0, 0.5, 0.6,  0.7,  0.8,  0.4,  0.41, 0.42, 0.43, 0.44};
    dynamic_cast<optim::ReduceLROnPlateau<double>&>(s).step(metric[epoch % 20]);
}

void expect_resumes_exactly(const std::string& name, const Make& make, int steps,
                            const Step& step = step_lr) {
    SCOPED_TRACE(name);
    TwoGroups straight;
    std::unique_ptr<optim::Scheduler> straight_schedule = make(straight.sgd);
    std::vector<std::vector<double>> want;
    for (int i = 0; i < 2 * steps; ++i) {
        step(*straight_schedule, i);
        want.push_back(straight.settings());
    }

    const std::string path = temp_path("scheduler_" + name + ".npz");
    optim::SchedulerState state;
    std::vector<std::vector<double>> got;
    {
        TwoGroups first;
        std::unique_ptr<optim::Scheduler> schedule = make(first.sgd);
        for (int i = 0; i < steps; ++i) {
            step(*schedule, i);
            got.push_back(first.settings());
        }
        optim::save(first.sgd, path);
        state = schedule->state_dict();
    }
    TwoGroups resumed;
    std::unique_ptr<optim::Scheduler> schedule = make(resumed.sgd);  // before load: momenta
    optim::load(resumed.sgd, path);
    schedule->load_state_dict(state);
    for (int i = steps; i < 2 * steps; ++i) {
        step(*schedule, i);
        got.push_back(resumed.settings());
    }
    EXPECT_EQ(got, want);  // bit for bit
    EXPECT_EQ(schedule->state_dict(), straight_schedule->state_dict());
}

template <class S, class... Args>
Make make(Args... args) {
    return [=](optim::Optimizer<double>& opt) -> std::unique_ptr<optim::Scheduler> {
        return std::make_unique<S>(opt, args...);
    };
}

TEST(SchedulerState, EveryScheduleResumesBitForBit) {
    expect_resumes_exactly("StepLR", make<optim::StepLR<double>>(std::int64_t(3), 0.5), 7);
    expect_resumes_exactly("ExponentialLR", make<optim::ExponentialLR<double>>(0.9), 7);
    expect_resumes_exactly("CosineAnnealingLR",
                           make<optim::CosineAnnealingLR<double>>(std::int64_t(5), 0.001), 8);
    expect_resumes_exactly("LinearLR", make<optim::LinearLR<double>>(0.25, 1.0, std::int64_t(6)),
                           4);
    optim::OneCycleOptions linear;
    linear.anneal_strategy = optim::Anneal::linear;
    linear.three_phase = true;
    expect_resumes_exactly("OneCycleLR",
                           make<optim::OneCycleLR<double>>(1.0, std::int64_t(20), linear), 10);
    expect_resumes_exactly(
        "SequentialLR",
        [](optim::Optimizer<double>& opt) -> std::unique_ptr<optim::Scheduler> {
            std::vector<std::unique_ptr<optim::LRScheduler<double>>> parts;
            parts.push_back(std::make_unique<optim::LinearLR<double>>(opt, 0.1, 1.0, 3));
            parts.push_back(std::make_unique<optim::CosineAnnealingLR<double>>(opt, 6));
            return std::make_unique<optim::SequentialLR<double>>(opt, std::move(parts),
                                                                 std::vector<std::int64_t>{3});
        },
        4);  // saved inside the cosine, after its restart at the milestone
    optim::PlateauOptions plateau;
    plateau.patience = 2;
    plateau.cooldown = 1;
    plateau.factor = 0.5;
    expect_resumes_exactly("ReduceLROnPlateau", make<optim::ReduceLROnPlateau<double>>(plateau), 9,
                           step_plateau);
}

TEST(SchedulerState, OptimizerStateFileCarriesTheSchedules) {
    // tg::optim::save and load with schedulers: one file, and no bookkeeping by hand.
    const auto make_cosine = [](optim::Optimizer<double>& opt) {
        return std::make_unique<optim::CosineAnnealingLR<double>>(opt, 8, 0.001);
    };
    optim::PlateauOptions plateau_options;
    plateau_options.patience = 1;
    TwoGroups straight;
    auto straight_cosine = make_cosine(straight.sgd);
    optim::ReduceLROnPlateau<double> straight_plateau(straight.sgd, plateau_options);
    for (int i = 0; i < 10; ++i) {
        straight_cosine->step();
        step_plateau(straight_plateau, i);
    }
    const std::string path = temp_path("optimizer_with_schedules.npz");
    {
        TwoGroups first;
        auto cosine = make_cosine(first.sgd);
        optim::ReduceLROnPlateau<double> plateau(first.sgd, plateau_options);
        for (int i = 0; i < 5; ++i) {
            cosine->step();
            step_plateau(plateau, i);
        }
        optim::save(first.sgd, path, {cosine.get(), &plateau});
    }
    TwoGroups resumed;
    auto cosine = make_cosine(resumed.sgd);
    optim::ReduceLROnPlateau<double> plateau(resumed.sgd, plateau_options);
    optim::load(resumed.sgd, path, {cosine.get(), &plateau});
    for (int i = 5; i < 10; ++i) {
        cosine->step();
        step_plateau(plateau, i);
    }
    EXPECT_EQ(resumed.settings(), straight.settings());
    EXPECT_EQ(cosine->state_dict(), straight_cosine->state_dict());
    EXPECT_EQ(plateau.state_dict(), straight_plateau.state_dict());

    // Refused, naming the entry, with nothing changed: a schedule built otherwise, a
    // scheduler the file has no state for, a file's schedulers not asked for.
    TwoGroups other;
    optim::CosineAnnealingLR<double> longer(other.sgd, 9, 0.001);
    optim::ReduceLROnPlateau<double> other_plateau(other.sgd, plateau_options);
    const std::vector<double> before = other.settings();
    expect_message<IoError>(
        [&] {
            optim::load(other.sgd, path, {&longer, &other_plateau});
        },
        {"load: '" + path + "': ",
         "entry 'scheduler.0.T_max' holds 8 but this CosineAnnealingLR has "
         "T_max = 9",
         "and of schedulers built the same way"});
    optim::StepLR<double> third(other.sgd, 2);
    expect_message<IoError>(
        [&] {
            optim::load(other.sgd, path, {&longer, &other_plateau, &third});
        },
        {"the file has no state for scheduler 2 (StepLR; no entry 'scheduler.2.*.npy'): save it "
         "with the schedulers"});
    expect_message<IoError>([&] { optim::load(other.sgd, path); },
                            {"the file has an entry 'scheduler.0.T_max.npy' that the state of "
                             "this SGD"});
    EXPECT_EQ(other.settings(), before);
    EXPECT_EQ(longer.last_epoch(), 0);
}

TEST(SchedulerState, StateDictHasPyTorchsNames) {
    TwoGroups t;
    optim::ReduceLROnPlateau<double> plateau(t.sgd);
    plateau.step(1.0);
    const optim::SchedulerState state = plateau.state_dict();
    std::map<std::string, double> by_name(state.begin(), state.end());
    EXPECT_EQ(by_name.at("best"), 1.0);
    EXPECT_EQ(by_name.at("num_bad_epochs"), 0.0);
    EXPECT_EQ(by_name.at("cooldown_counter"), 0.0);
    EXPECT_EQ(by_name.at("last_epoch"), 1.0);
    EXPECT_EQ(by_name.at("_last_lr.1"), 0.05);
    optim::StepLR<double> step(t.sgd, 3);
    step.step();
    const optim::SchedulerState step_state = step.state_dict();
    by_name = std::map<std::string, double>(step_state.begin(), step_state.end());
    EXPECT_EQ(by_name.at("last_epoch"), 1.0);
    EXPECT_EQ(by_name.at("_step_count"), 2.0);
    EXPECT_EQ(by_name.at("base_lrs.0"), 0.1);
    EXPECT_EQ(by_name.at("step_size"), 3.0);
}

TEST(SchedulerState, StatesThatDoNotFitAreRefusedAndChangeNothing) {
    TwoGroups t;
    optim::StepLR<double> saved(t.sgd, 3, 0.5);
    saved.step();
    saved.step();
    optim::SchedulerState state = saved.state_dict();

    TwoGroups u;
    optim::StepLR<double> other(u.sgd, 3, 0.1);
    const optim::SchedulerState before = other.state_dict();
    expect_message<ValueError>([&] { other.load_state_dict(state); },
                               {"StepLR::load_state_dict: entry 'gamma' holds 0.5 but this StepLR "
                                "has gamma = 0.1",
                                "Nothing was loaded; build the scheduler as the one whose "
                                "state_dict() this is"});
    optim::StepLR<double> same(u.sgd, 3, 0.5);
    optim::SchedulerState bad = state;
    for (auto& [name, value] : bad)
        if (name == "last_epoch") value = 2.5;
    bad.emplace_back("extra", 1.0);
    bad.erase(bad.begin());  // step_size
    expect_message<ValueError>(
        [&] { same.load_state_dict(bad); },
        {"entry 'last_epoch' holds 2.5, not a count (a whole number >= -1)",
         "entry 'extra' is not part of the state of this StepLR", "entry 'step_size' is missing"});
    EXPECT_EQ(other.state_dict(), before);
    EXPECT_EQ(same.last_epoch(), 0);
    optim::SchedulerState twice = state;
    twice.push_back(state.back());
    expect_message<ValueError>([&] { same.load_state_dict(twice); },
                               {"entry '_last_lr.1' appears twice"});

    optim::ReduceLROnPlateau<double> plateau(u.sgd);
    optim::SchedulerState nan_best = plateau.state_dict();
    for (auto& [name, value] : nan_best)
        if (name == "best") value = std::nan("");
    expect_message<ValueError>([&] { plateau.load_state_dict(nan_best); },
                               {"ReduceLROnPlateau::load_state_dict: entry 'best' holds nan, not a "
                                "finite number"});
}

}  // namespace
}  // namespace tg::test
