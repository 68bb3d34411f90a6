#pragma once
// What a learning-rate scheduler must keep for a resumed run to continue its schedule:
// its state as named numbers, with PyTorch's state_dict() names where PyTorch has them
// ("last_epoch", "_step_count", "base_lrs.0", "_last_lr.0", "best", "num_bad_epochs",
// "cooldown_counter", ...; a list as one entry per element, "NAME.i"), and its settings
// ("step_size", "gamma", "T_max", ...), which a loaded state must match:
//
//     tg::optim::SchedulerState state = schedule.state_dict();   // after epoch 5
//     ...                                                         // later, a new process:
//     tg::optim::StepLR<> schedule(opt, 30, 0.1);                 // built as before
//     schedule.load_state_dict(state);                            // continues at epoch 6
//
// tg::nn::TrainingCheckpoint writes it next to the model, the optimizer (whose state
// holds the groups' learning rates) and the generators. Every scheduler of optim/
// (LRScheduler's subclasses, SequentialLR with its schedulers as "_schedulers.i.NAME",
// ReduceLROnPlateau) is a Scheduler.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tg::optim {

/// A scheduler's state: (name, value) in the scheduler's order.
using SchedulerState = std::vector<std::pair<std::string, double>>;

/// Walks a scheduler's state: each scheduler calls these for what it keeps.
class SchedulerStateVisitor {
public:
    virtual ~SchedulerStateVisitor() = default;
    /// A setting the scheduler was built with (a loaded state must hold the same value).
    virtual void setting(const std::string& name, double value) = 0;
    /// A counter, a whole number >= `lowest`.
    virtual void count(const std::string& name, std::int64_t& value, std::int64_t lowest) = 0;
    /// A real number: finite, or also ±infinity when `infinite_ok` (ReduceLROnPlateau's
    /// best before its first step).
    virtual void real(const std::string& name, double& value, bool infinite_ok = false) = 0;
    /// One real per parameter group, "name.0", "name.1", ...
    void reals(const std::string& name, std::vector<double>& values);
    /// The entries `visit` names, each under "prefix" + name (SequentialLR's schedulers).
    void nested(const std::string& prefix, const std::function<void()>& visit);

protected:
    /// The prefix of the names visited now.
    std::string prefix_;
};

/// The interface every scheduler of optim/ has, for saving and restoring its state.
class Scheduler {
public:
    virtual ~Scheduler() = default;
    /// The class, for messages: "StepLR", "ReduceLROnPlateau", ...
    virtual std::string scheduler_name() const = 0;
    /// The state and settings, in a fixed order.
    SchedulerState state_dict() const;
    /// What is wrong with `state` for this scheduler, one sentence each (empty: nothing):
    /// an entry missing or unknown, a setting other than this scheduler's, a counter that
    /// is not a whole number in range, a rate that is not finite. Changes nothing. The
    /// messages put `shown` before each name (a file's prefix: "scheduler.cosine.").
    std::vector<std::string> check_state_dict(const SchedulerState& state,
                                              const std::string& shown = "") const;
    /// Restores a state_dict() of a scheduler built the same way: the next step() goes on
    /// from where that scheduler was. tg::ValueError listing every problem
    /// check_state_dict finds, and then nothing changes. The groups' learning rates are
    /// the optimizer's state (tg::optim::load, tg::nn::TrainingCheckpoint).
    void load_state_dict(const SchedulerState& state);

protected:
    /// Calls the visitor for each setting and each piece of state (the visitor may write
    /// the state: this is how load_state_dict restores it).
    virtual void visit_state(SchedulerStateVisitor& visitor) = 0;
};

}  // namespace tg::optim
