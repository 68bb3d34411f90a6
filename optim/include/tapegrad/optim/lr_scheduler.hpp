#pragma once
// Learning-rate schedules, as PyTorch's torch.optim.lr_scheduler: each acts on every
// parameter group of an optimizer, and is stepped once per epoch (or per batch, for
// OneCycleLR) after the optimizer:
//
//     tg::optim::SGD<> opt(net.parameters(), 0.1, {0.9});
//     tg::optim::StepLR<> schedule(opt, /*step_size=*/30, /*gamma=*/0.1);
//     for (int epoch = 0; epoch < 90; ++epoch) {
//         train_one_epoch(net, opt);       // opt.step() for each batch
//         schedule.step();                 // lr 0.1 for epochs 0-29, 0.01, then 0.001
//     }
//
// As in PyTorch: building a scheduler records each group's learning rate as its
// initial learning rate (GroupSettings::initial_learning_rate; the first scheduler built
// on an optimizer sets it, later ones read it) and takes the first step, to epoch 0,
// which sets the learning rate of epoch 0. Each step computes the new rate from the
// group's current one (PyTorch's "chainable" form), with the same formula and the same
// order of floating-point operations as PyTorch 1.13, so that the rates agree to the
// last bit or nearly. Two schedulers stepped on one optimizer compose (their factors
// multiply), as in PyTorch.
//
// Resuming: a schedule's state is its state_dict() (<tapegrad/optim/scheduler_state.hpp>:
// last_epoch, _step_count, base_lrs, _last_lr and its settings) and the groups' learning
// rates, which the optimizer's state holds; tg::nn::TrainingCheckpoint saves both.

#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/scheduler_state.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace tg::optim {

template <class T>
class SequentialLR;

/// The base of the schedules: the optimizer, the epoch, the groups' base learning rates.
template <class T = double>
class LRScheduler : public Scheduler {
public:
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    /// Moves to the next epoch and sets the learning rate of every group.
    virtual void step();
    /// The epoch of the last step (0 after construction).
    std::int64_t last_epoch() const { return last_epoch_; }
    /// Sets the epoch counter without changing any learning rate. (To resume, load the
    /// whole state: load_state_dict, which also restores _step_count and the last rates.)
    void set_last_epoch(std::int64_t epoch) { last_epoch_ = epoch; }
    /// The learning rate each group started from (its initial learning rate).
    const std::vector<double>& base_lrs() const { return base_lrs_; }
    /// The learning rate of each group set by the last step (PyTorch's get_last_lr()).
    const std::vector<double>& last_lr() const { return last_lr_; }

protected:
    /// last_epoch, _step_count, base_lrs, _last_lr; a subclass adds its settings.
    void visit_state(SchedulerStateVisitor& visitor) override;
    /// Records the initial learning rates; the derived constructor must end with
    /// initial_step() (a virtual call does not reach it from here).
    explicit LRScheduler(Optimizer<T>& optimizer);
    /// The learning rate of each group at last_epoch(), from the current ones (PyTorch's
    /// get_lr()).
    virtual std::vector<double> compute_lr() const = 0;
    /// The learning rate of each group at last_epoch() from the base ones, for a step to
    /// a given epoch (PyTorch's _get_closed_form_lr(); compute_lr() when there is none).
    virtual std::vector<double> closed_form_lr() const { return compute_lr(); }
    /// The first step, to epoch 0.
    void initial_step();
    /// A step to `epoch` (PyTorch's step(epoch)), closed form.
    void step_to(std::int64_t epoch);
    /// The current learning rate of each group.
    std::vector<double> current_lrs() const;
    /// Sets every group's learning rate and last_lr(), unchecked, as PyTorch's schedules
    /// set group["lr"].
    void apply(const std::vector<double>& lrs);
    /// Sets a group's momentum (GroupSettings::momentum), unchecked, as PyTorch's
    /// OneCycleLR sets group["momentum"] (its extrapolation at step total_steps may leave
    /// [0, 1)).
    void set_momentum(std::size_t group, double momentum) const;

    /// The optimizer whose groups are scheduled.
    Optimizer<T>& optimizer_;
    /// The initial learning rate of each group.
    std::vector<double> base_lrs_;
    /// The epoch of the last step; −1 before the first.
    std::int64_t last_epoch_ = -1;
    /// Steps taken since construction or the last initial_step() (PyTorch's _step_count).
    std::int64_t step_count_ = 0;

private:
    std::vector<double> last_lr_;
    friend class SequentialLR<T>;
};

/// lr = base_lr · γ^⌊epoch / step_size⌋ (chainable: multiplied by γ every step_size
/// epochs).
template <class T = double>
class StepLR : public LRScheduler<T> {
public:
    std::string scheduler_name() const override { return "StepLR"; }
    /// step_size >= 1 epochs between decays by `gamma`.
    StepLR(Optimizer<T>& optimizer, std::int64_t step_size, double gamma = 0.1);

protected:
    void visit_state(SchedulerStateVisitor& visitor) override;
    std::vector<double> compute_lr() const override;
    std::vector<double> closed_form_lr() const override;

private:
    std::int64_t step_size_;
    double gamma_;
};

/// lr = base_lr · γ^epoch (chainable: multiplied by γ each step).
template <class T = double>
class ExponentialLR : public LRScheduler<T> {
public:
    std::string scheduler_name() const override { return "ExponentialLR"; }
    /// Decay by `gamma` each epoch.
    ExponentialLR(Optimizer<T>& optimizer, double gamma);

protected:
    void visit_state(SchedulerStateVisitor& visitor) override;
    std::vector<double> compute_lr() const override;
    std::vector<double> closed_form_lr() const override;

private:
    double gamma_;
};

/// lr = η_min + (base_lr − η_min) · (1 + cos(π · epoch / T_max)) / 2 (SGDR without
/// restarts). PyTorch's chainable form, used by step():
///     lr_t = η_min + (lr_{t−1} − η_min) · (1 + cos(π t / T_max)) / (1 + cos(π (t−1) / T_max))
/// and, past T_max, when (t − 1 − T_max) is a multiple of 2 T_max:
///     lr_t = lr_{t−1} + (base_lr − η_min) · (1 − cos(π / T_max)) / 2
template <class T = double>
class CosineAnnealingLR : public LRScheduler<T> {
public:
    std::string scheduler_name() const override { return "CosineAnnealingLR"; }
    /// Anneals to `eta_min` over `t_max` >= 1 epochs.
    CosineAnnealingLR(Optimizer<T>& optimizer, std::int64_t t_max, double eta_min = 0);

protected:
    void visit_state(SchedulerStateVisitor& visitor) override;
    std::vector<double> compute_lr() const override;
    std::vector<double> closed_form_lr() const override;

private:
    std::int64_t t_max_;
    double eta_min_;
};

/// Linear warmup (or decay) of the factor from `start_factor` to `end_factor` over
/// `total_iters` epochs, then constant:
///     lr = base_lr · (s + (e − s) · min(epoch, total_iters) / total_iters)
/// PyTorch's chainable form, used by step(): lr_0 = base_lr · s and, for 0 < t <= total_iters,
///     lr_t = lr_{t−1} · (1 + (e − s) / (total_iters · s + (t − 1) · (e − s)))
template <class T = double>
class LinearLR : public LRScheduler<T> {
public:
    std::string scheduler_name() const override { return "LinearLR"; }
    /// PyTorch's defaults: from a third of the rate to all of it over 5 epochs.
    /// 0 < start_factor <= 1, 0 <= end_factor <= 1, total_iters >= 1.
    LinearLR(Optimizer<T>& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
             std::int64_t total_iters = 5);

protected:
    void visit_state(SchedulerStateVisitor& visitor) override;
    std::vector<double> compute_lr() const override;
    std::vector<double> closed_form_lr() const override;

private:
    double start_factor_;
    double end_factor_;
    std::int64_t total_iters_;
};

/// How OneCycleLR moves between two rates within a phase.
enum class Anneal {
    cos,    ///< end + (start − end) / 2 · (1 + cos(π · pct))
    linear  ///< (end − start) · pct + start
};

/// Options of OneCycleLR (an aggregate), PyTorch's defaults (PyTorch's order, but for the
/// three momentum options, which come last).
struct OneCycleOptions {
    double pct_start = 0.3;          ///< fraction of the steps spent increasing the rate
    Anneal anneal_strategy = Anneal::cos;  ///< how the rate moves within a phase
    double div_factor = 25;          ///< initial lr = max_lr / div_factor
    double final_div_factor = 1e4;   ///< min lr = initial lr / final_div_factor
    bool three_phase = false;        ///< a third phase: back to the initial lr, then down to min
    /// Cycle each group's momentum (SGD, RMSprop) or β₁ (Adam, AdamW) against the rate,
    /// between max_momentum and base_momentum (tg::ValueError for an optimizer with
    /// neither, Adagrad: pass false).
    bool cycle_momentum = true;
    double base_momentum = 0.85;  ///< the momentum at the peak of the rate
    double max_momentum = 0.95;   ///< the momentum at the start and the end of the cycle
};

/// The 1cycle policy (Smith & Topin, 2017), stepped after every batch: from
/// max_lr / div_factor up to max_lr over pct_start · total_steps steps, then down to
/// max_lr / (div_factor · final_div_factor) at step total_steps − 1 (PyTorch's phases,
/// ends at float(pct_start · total_steps) − 1 and total_steps − 1). With cycle_momentum
/// (the default, as PyTorch's), each step also sets each group's momentum
/// (GroupSettings::momentum) along the same curve from max_momentum to base_momentum and
/// back; an SGD or RMSprop built without momentum then gets one, as in PyTorch.
/// Step total_steps extrapolates the last phase (with linear annealing, a rate below the
/// minimum, possibly negative, set as PyTorch sets it: step the optimizer total_steps
/// times, not once more); stepping past it is a tg::ValueError, as in PyTorch.
template <class T = double>
class OneCycleLR : public LRScheduler<T> {
public:
    std::string scheduler_name() const override { return "OneCycleLR"; }
    /// One max_lr for every group, over total_steps >= 1 steps.
    OneCycleLR(Optimizer<T>& optimizer, double max_lr, std::int64_t total_steps,
               OneCycleOptions options = {});
    /// One max_lr per group.
    OneCycleLR(Optimizer<T>& optimizer, std::vector<double> max_lrs, std::int64_t total_steps,
               OneCycleOptions options = {});

protected:
    void visit_state(SchedulerStateVisitor& visitor) override;
    std::vector<double> compute_lr() const override;

private:
    struct Phase {
        double end_step;
        int start;  ///< 0: initial lr, 1: max lr, 2: min lr
        int end;
        int momentum_start;  ///< 0: base_momentum, 1: max_momentum
        int momentum_end;
    };
    std::int64_t total_steps_;
    OneCycleOptions options_;
    std::vector<Phase> phases_;
    std::vector<std::vector<double>> group_lrs_;  ///< per group: initial, max, min
};

/// Several schedules one after another: schedulers[i] runs from milestones[i − 1] on
/// (each restarted at its epoch 0 at its milestone), e.g. a warmup then a cosine:
///
///     auto warmup = std::make_unique<tg::optim::LinearLR<>>(opt, 0.1, 1.0, 5);
///     auto cosine = std::make_unique<tg::optim::CosineAnnealingLR<>>(opt, 95);
///     tg::optim::SequentialLR<> schedule(opt, {std::move(warmup), std::move(cosine)}, {5});
///
/// Built as PyTorch's: the schedulers are built first, on the same optimizer; building
/// the SequentialLR sets the rates back to the initial ones and restarts the first.
template <class T = double>
class SequentialLR : public LRScheduler<T> {
public:
    std::string scheduler_name() const override { return "SequentialLR"; }
    /// `schedulers` (at least one, all on `optimizer`) and milestones.size() ==
    /// schedulers.size() − 1 increasing epochs.
    SequentialLR(Optimizer<T>& optimizer, std::vector<std::unique_ptr<LRScheduler<T>>> schedulers,
                 std::vector<std::int64_t> milestones);
    void step() override;

protected:
    void visit_state(SchedulerStateVisitor& visitor) override;
    std::vector<double> compute_lr() const override { return this->current_lrs(); }

private:
    std::vector<std::unique_ptr<LRScheduler<T>>> schedulers_;
    std::vector<std::int64_t> milestones_;
};

#define TG_OPTIM_SCHEDULER_EXTERN(T)          \
    extern template class LRScheduler<T>;     \
    extern template class StepLR<T>;          \
    extern template class ExponentialLR<T>;   \
    extern template class CosineAnnealingLR<T>; \
    extern template class LinearLR<T>;        \
    extern template class OneCycleLR<T>;      \
    extern template class SequentialLR<T>;
TG_OPTIM_SCHEDULER_EXTERN(float)
TG_OPTIM_SCHEDULER_EXTERN(double)
#undef TG_OPTIM_SCHEDULER_EXTERN

}  // namespace tg::optim
