#include <tapegrad/check.hpp>
#include <tapegrad/optim/lr_scheduler.hpp>

#include <algorithm>
#include <cmath>

namespace tg::optim {
namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

/// Sets each group's initial learning rate to max_lr / div_factor before the base
/// records it (PyTorch sets group["initial_lr"] before LRScheduler.__init__).
template <class T>
Optimizer<T>& one_cycle_start(Optimizer<T>& optimizer, const std::vector<double>& max_lrs,
                              std::int64_t total_steps, const OneCycleOptions& o) {
    const std::size_t groups = optimizer.param_groups().size();
    TG_CHECK(max_lrs.size() == groups, ValueError, "OneCycleLR: ", max_lrs.size(),
             " max_lr values for an optimizer of ", groups, " parameter groups");
    TG_CHECK(total_steps >= 1, ValueError, "OneCycleLR: total_steps ", total_steps,
             " must be >= 1");
    TG_CHECK(o.pct_start >= 0 && o.pct_start <= 1, ValueError, "OneCycleLR: pct_start ",
             std::to_string(o.pct_start), " must lie in [0, 1]");
    TG_CHECK(o.div_factor > 0 && o.final_div_factor > 0, ValueError, "OneCycleLR: div_factor (",
             std::to_string(o.div_factor), ") and final_div_factor (",
             std::to_string(o.final_div_factor), ") must be > 0");
    if (o.cycle_momentum) {
        // PyTorch: "optimizer must support momentum with `cycle_momentum` option enabled".
        TG_CHECK(optimizer.momentum_name(), ValueError,
                 "OneCycleLR: cycle_momentum needs an optimizer with a momentum (SGD, RMSprop) "
                 "or a beta1 (Adam, AdamW); ",
                 optimizer.name(), " has neither: pass cycle_momentum = false");
        optimizer.check_momentum(o.base_momentum);
        optimizer.check_momentum(o.max_momentum);
    }
    for (std::size_t g = 0; g < groups; ++g) {
        optimizer.set_initial_learning_rate(g, max_lrs[g] / o.div_factor);
        if (o.cycle_momentum) optimizer.set_momentum(g, o.max_momentum);
    }
    return optimizer;
}

}  // namespace

// ---- LRScheduler --------------------------------------------------------------------------

template <class T>
LRScheduler<T>::LRScheduler(Optimizer<T>& optimizer) : optimizer_(optimizer) {
    // PyTorch: group.setdefault("initial_lr", group["lr"]); base_lrs = initial lrs.
    const auto& groups = optimizer.param_groups();
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (!groups[g].initial_learning_rate)
            optimizer.set_initial_learning_rate(g, groups[g].learning_rate);
        base_lrs_.push_back(*optimizer.param_groups()[g].initial_learning_rate);
    }
}

template <class T>
void LRScheduler<T>::initial_step() {
    step_count_ = 0;
    step();
}

template <class T>
void LRScheduler<T>::step() {
    ++step_count_;
    ++last_epoch_;
    apply(compute_lr());
}

template <class T>
void LRScheduler<T>::step_to(std::int64_t epoch) {
    ++step_count_;
    last_epoch_ = epoch;
    apply(closed_form_lr());
}

template <class T>
std::vector<double> LRScheduler<T>::current_lrs() const {
    std::vector<double> lrs;
    for (const GroupSettings& group : optimizer_.param_groups()) lrs.push_back(group.learning_rate);
    return lrs;
}

template <class T>
void LRScheduler<T>::set_momentum(std::size_t group, double momentum) const {
    optimizer_.groups_.at(group).momentum = momentum;
    optimizer_.buffer_count_.reset();
}

template <class T>
void LRScheduler<T>::apply(const std::vector<double>& lrs) {
    // As PyTorch's group["lr"] = lr: no check, OneCycleLR's linear strategy sets a rate
    // below 0 at step total_steps (one past its cycle) and raises only on the step after.
    for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_.groups_.at(g).learning_rate = lrs[g];
    last_lr_ = lrs;
}

// ---- StepLR -------------------------------------------------------------------------------

template <class T>
StepLR<T>::StepLR(Optimizer<T>& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler<T>(optimizer), step_size_(step_size), gamma_(gamma) {
    TG_CHECK(step_size >= 1, ValueError, "StepLR: step_size ", step_size, " must be >= 1");
    this->initial_step();
}

template <class T>
std::vector<double> StepLR<T>::compute_lr() const {
    std::vector<double> lrs = this->current_lrs();
    if (this->last_epoch_ == 0 || this->last_epoch_ % step_size_ != 0) return lrs;
    for (double& lr : lrs) lr *= gamma_;
    return lrs;
}

template <class T>
std::vector<double> StepLR<T>::closed_form_lr() const {
    std::vector<double> lrs;
    const double power = static_cast<double>(this->last_epoch_ / step_size_);
    for (double base : this->base_lrs_) lrs.push_back(base * std::pow(gamma_, power));
    return lrs;
}

// ---- ExponentialLR ------------------------------------------------------------------------

template <class T>
ExponentialLR<T>::ExponentialLR(Optimizer<T>& optimizer, double gamma)
    : LRScheduler<T>(optimizer), gamma_(gamma) {
    this->initial_step();
}

template <class T>
std::vector<double> ExponentialLR<T>::compute_lr() const {
    std::vector<double> lrs = this->current_lrs();
    if (this->last_epoch_ == 0) return lrs;
    for (double& lr : lrs) lr *= gamma_;
    return lrs;
}

template <class T>
std::vector<double> ExponentialLR<T>::closed_form_lr() const {
    std::vector<double> lrs;
    for (double base : this->base_lrs_)
        lrs.push_back(base * std::pow(gamma_, static_cast<double>(this->last_epoch_)));
    return lrs;
}

// ---- CosineAnnealingLR --------------------------------------------------------------------

template <class T>
CosineAnnealingLR<T>::CosineAnnealingLR(Optimizer<T>& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler<T>(optimizer), t_max_(t_max), eta_min_(eta_min) {
    TG_CHECK(t_max >= 1, ValueError, "CosineAnnealingLR: T_max ", t_max, " must be >= 1");
    this->initial_step();
}

template <class T>
std::vector<double> CosineAnnealingLR<T>::compute_lr() const {
    const std::int64_t t = this->last_epoch_;
    const double t_max = static_cast<double>(t_max_);
    std::vector<double> lrs = this->current_lrs();
    if (t == 0) return lrs;
    if (this->step_count_ == 1 && t > 0) return closed_form_lr();
    for (std::size_t g = 0; g < lrs.size(); ++g) {
        const double base = this->base_lrs_[g];
        if ((t - 1 - t_max_) % (2 * t_max_) == 0)
            lrs[g] = lrs[g] + (base - eta_min_) * (1 - std::cos(kPi / t_max)) / 2;
        else
            lrs[g] = (1 + std::cos(kPi * static_cast<double>(t) / t_max)) /
                         (1 + std::cos(kPi * static_cast<double>(t - 1) / t_max)) *
                         (lrs[g] - eta_min_) +
                     eta_min_;
    }
    return lrs;
}

template <class T>
std::vector<double> CosineAnnealingLR<T>::closed_form_lr() const {
    std::vector<double> lrs;
    for (double base : this->base_lrs_)
        lrs.push_back(eta_min_ + (base - eta_min_) *
                                     (1 + std::cos(kPi * static_cast<double>(this->last_epoch_) /
                                                   static_cast<double>(t_max_))) /
                                     2);
    return lrs;
}

// ---- LinearLR -----------------------------------------------------------------------------

template <class T>
LinearLR<T>::LinearLR(Optimizer<T>& optimizer, double start_factor, double end_factor,
                      std::int64_t total_iters)
    : LRScheduler<T>(optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
    TG_CHECK(start_factor > 0 && start_factor <= 1 && end_factor >= 0 && end_factor <= 1,
             ValueError, "LinearLR: start_factor (", std::to_string(start_factor),
             ") must lie in (0, 1] and end_factor (", std::to_string(end_factor), ") in [0, 1]");
    TG_CHECK(total_iters >= 1, ValueError, "LinearLR: total_iters ", total_iters, " must be >= 1");
    this->initial_step();
}

template <class T>
std::vector<double> LinearLR<T>::compute_lr() const {
    const std::int64_t t = this->last_epoch_;
    std::vector<double> lrs = this->current_lrs();
    if (t == 0) {
        for (double& lr : lrs) lr *= start_factor_;
        return lrs;
    }
    if (t > total_iters_) return lrs;
    const double delta = end_factor_ - start_factor_;
    for (double& lr : lrs)
        lr *= 1. + delta / (static_cast<double>(total_iters_) * start_factor_ +
                            static_cast<double>(t - 1) * delta);
    return lrs;
}

template <class T>
std::vector<double> LinearLR<T>::closed_form_lr() const {
    std::vector<double> lrs;
    const double done = static_cast<double>(std::min(total_iters_, this->last_epoch_));
    for (double base : this->base_lrs_)
        lrs.push_back(base * (start_factor_ + (end_factor_ - start_factor_) * done /
                                                  static_cast<double>(total_iters_)));
    return lrs;
}

// ---- OneCycleLR ---------------------------------------------------------------------------

template <class T>
OneCycleLR<T>::OneCycleLR(Optimizer<T>& optimizer, double max_lr, std::int64_t total_steps,
                          OneCycleOptions options)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.param_groups().size(), max_lr),
                 total_steps, options) {}

template <class T>
OneCycleLR<T>::OneCycleLR(Optimizer<T>& optimizer, std::vector<double> max_lrs,
                          std::int64_t total_steps, OneCycleOptions options)
    : LRScheduler<T>(one_cycle_start(optimizer, max_lrs, total_steps, options)),
      total_steps_(total_steps),
      options_(options) {
    const double steps = static_cast<double>(total_steps);
    const double rise_end = options.pct_start * steps - 1;
    // The momentum moves against the rate: from max_momentum down while the rate rises,
    // and back up while it falls (PyTorch's phases).
    if (options.three_phase)
        phases_ = {{rise_end, 0, 1, 1, 0},
                   {2 * options.pct_start * steps - 2, 1, 0, 0, 1},
                   {steps - 1, 0, 2, 1, 1}};
    else
        phases_ = {{rise_end, 0, 1, 1, 0}, {steps - 1, 1, 2, 0, 1}};
    for (std::size_t g = 0; g < max_lrs.size(); ++g) {
        const double initial = max_lrs[g] / options.div_factor;
        group_lrs_.push_back({initial, max_lrs[g], initial / options.final_div_factor});
    }
    this->initial_step();
}

template <class T>
std::vector<double> OneCycleLR<T>::compute_lr() const {
    const std::int64_t step = this->last_epoch_;
    TG_CHECK(step <= total_steps_, ValueError, "OneCycleLR: tried to step ", step + 1,
             " times; the specified number of total steps is ", total_steps_);
    const auto anneal = [this](double start, double end, double pct) {
        return options_.anneal_strategy == Anneal::cos
                   ? end + (start - end) / 2.0 * (std::cos(kPi * pct) + 1)
                   : (end - start) * pct + start;
    };
    const double momenta[2] = {options_.base_momentum, options_.max_momentum};
    std::vector<double> lrs;
    for (std::size_t g = 0; g < group_lrs_.size(); ++g) {
        const std::vector<double>& rates = group_lrs_[g];
        double start_step = 0;
        for (std::size_t i = 0; i < phases_.size(); ++i) {
            const Phase& phase = phases_[i];
            if (static_cast<double>(step) <= phase.end_step || i + 1 == phases_.size()) {
                const double pct =
                    (static_cast<double>(step) - start_step) / (phase.end_step - start_step);
                lrs.push_back(anneal(rates[phase.start], rates[phase.end], pct));
                // As PyTorch's get_lr(), which sets group["momentum"] (or betas[0]) itself.
                if (options_.cycle_momentum)
                    this->set_momentum(
                        g, anneal(momenta[phase.momentum_start], momenta[phase.momentum_end], pct));
                break;
            }
            start_step = phase.end_step;
        }
    }
    return lrs;
}

// ---- SequentialLR -------------------------------------------------------------------------

template <class T>
SequentialLR<T>::SequentialLR(Optimizer<T>& optimizer,
                              std::vector<std::unique_ptr<LRScheduler<T>>> schedulers,
                              std::vector<std::int64_t> milestones)
    : LRScheduler<T>(optimizer),
      schedulers_(std::move(schedulers)),
      milestones_(std::move(milestones)) {
    TG_CHECK(!schedulers_.empty(), ValueError, "SequentialLR: needs at least one scheduler");
    for (std::size_t i = 0; i < schedulers_.size(); ++i)
        TG_CHECK(schedulers_[i] && &schedulers_[i]->optimizer_ == &optimizer, ValueError,
                 "SequentialLR: scheduler #", i, " is not a scheduler of this optimizer");
    TG_CHECK(milestones_.size() + 1 == schedulers_.size(), ValueError,
             "SequentialLR: ", schedulers_.size(), " schedulers need ", schedulers_.size() - 1,
             " milestones; got ", milestones_.size());
    TG_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()), ValueError,
             "SequentialLR: the milestones must increase");
    // PyTorch: back to the initial rates, undo the schedulers' first steps, and take the
    // first scheduler's first step again.
    this->last_epoch_ = 0;
    for (std::size_t g = 0; g < this->base_lrs_.size(); ++g)
        optimizer.set_learning_rate(g, this->base_lrs_[g]);
    for (auto& scheduler : schedulers_) --scheduler->last_epoch_;
    schedulers_.front()->initial_step();
    this->last_lr_ = schedulers_.front()->last_lr();
}

template <class T>
void SequentialLR<T>::step() {
    ++this->last_epoch_;
    const std::size_t index = static_cast<std::size_t>(
        std::upper_bound(milestones_.begin(), milestones_.end(), this->last_epoch_) -
        milestones_.begin());
    LRScheduler<T>& scheduler = *schedulers_[index];
    if (index > 0 && milestones_[index - 1] == this->last_epoch_)
        scheduler.step_to(0);
    else
        scheduler.step();
    this->last_lr_ = scheduler.last_lr();
}

// ---- State (<tapegrad/optim/scheduler_state.hpp>) -----------------------------------------

template <class T>
void LRScheduler<T>::visit_state(SchedulerStateVisitor& visitor) {
    // last_epoch is −1 only inside a SequentialLR before a scheduler's first turn.
    visitor.count("last_epoch", last_epoch_, -1);
    visitor.count("_step_count", step_count_, 0);
    visitor.reals("base_lrs", base_lrs_);
    visitor.reals("_last_lr", last_lr_);
}

template <class T>
void StepLR<T>::visit_state(SchedulerStateVisitor& visitor) {
    visitor.setting("step_size", static_cast<double>(step_size_));
    visitor.setting("gamma", gamma_);
    LRScheduler<T>::visit_state(visitor);
}

template <class T>
void ExponentialLR<T>::visit_state(SchedulerStateVisitor& visitor) {
    visitor.setting("gamma", gamma_);
    LRScheduler<T>::visit_state(visitor);
}

template <class T>
void CosineAnnealingLR<T>::visit_state(SchedulerStateVisitor& visitor) {
    visitor.setting("T_max", static_cast<double>(t_max_));
    visitor.setting("eta_min", eta_min_);
    LRScheduler<T>::visit_state(visitor);
}

template <class T>
void LinearLR<T>::visit_state(SchedulerStateVisitor& visitor) {
    visitor.setting("start_factor", start_factor_);
    visitor.setting("end_factor", end_factor_);
    visitor.setting("total_iters", static_cast<double>(total_iters_));
    LRScheduler<T>::visit_state(visitor);
}

template <class T>
void OneCycleLR<T>::visit_state(SchedulerStateVisitor& visitor) {
    visitor.setting("total_steps", static_cast<double>(total_steps_));
    visitor.setting("pct_start", options_.pct_start);
    visitor.setting("anneal_strategy", options_.anneal_strategy == Anneal::cos ? 0 : 1);
    visitor.setting("div_factor", options_.div_factor);
    visitor.setting("final_div_factor", options_.final_div_factor);
    visitor.setting("three_phase", options_.three_phase ? 1 : 0);
    visitor.setting("cycle_momentum", options_.cycle_momentum ? 1 : 0);
    visitor.setting("base_momentum", options_.base_momentum);
    visitor.setting("max_momentum", options_.max_momentum);
    for (std::size_t g = 0; g < group_lrs_.size(); ++g)
        visitor.setting("max_lrs." + std::to_string(g), group_lrs_[g][1]);
    LRScheduler<T>::visit_state(visitor);
}

template <class T>
void SequentialLR<T>::visit_state(SchedulerStateVisitor& visitor) {
    for (std::size_t i = 0; i < milestones_.size(); ++i)
        visitor.setting("_milestones." + std::to_string(i), static_cast<double>(milestones_[i]));
    LRScheduler<T>::visit_state(visitor);
    for (std::size_t i = 0; i < schedulers_.size(); ++i)
        visitor.nested("_schedulers." + std::to_string(i) + ".",
                       [&] { schedulers_[i]->visit_state(visitor); });
}

#define TG_OPTIM_SCHEDULER_INSTANTIATE(T) \
    template class LRScheduler<T>;        \
    template class StepLR<T>;             \
    template class ExponentialLR<T>;      \
    template class CosineAnnealingLR<T>;  \
    template class LinearLR<T>;           \
    template class OneCycleLR<T>;         \
    template class SequentialLR<T>;
TG_OPTIM_SCHEDULER_INSTANTIATE(float)
TG_OPTIM_SCHEDULER_INSTANTIATE(double)

}  // namespace tg::optim
