#include <tapegrad/check.hpp>
#include <tapegrad/optim/reduce_lr_on_plateau.hpp>

#include <algorithm>
#include <limits>

namespace tg::optim {

template <class T>
ReduceLROnPlateau<T>::ReduceLROnPlateau(Optimizer<T>& optimizer, PlateauOptions options)
    : optimizer_(optimizer),
      options_(options),
      best_(options.mode == PlateauOptions::Mode::min ? std::numeric_limits<double>::infinity()
                                                      : -std::numeric_limits<double>::infinity()) {
    TG_CHECK(options.factor >= 0 && options.factor < 1, ValueError, "ReduceLROnPlateau: factor ",
             std::to_string(options.factor), " must lie in [0, 1)");
    TG_CHECK(options.patience >= 0 && options.cooldown >= 0 && options.threshold >= 0 &&
                 options.min_lr >= 0 && options.eps >= 0,
             ValueError, "ReduceLROnPlateau: patience (", options.patience, "), cooldown (",
             options.cooldown, "), threshold (", std::to_string(options.threshold), "), min_lr (",
             std::to_string(options.min_lr), ") and eps (", std::to_string(options.eps),
             ") must be >= 0");
    for (const GroupSettings& group : optimizer.param_groups())
        last_lr_.push_back(group.learning_rate);
}

template <class T>
bool ReduceLROnPlateau<T>::is_better(double metric) const {
    const bool rel = options_.threshold_mode == PlateauOptions::ThresholdMode::rel;
    if (options_.mode == PlateauOptions::Mode::min)
        return rel ? metric < best_ * (1 - options_.threshold) : metric < best_ - options_.threshold;
    return rel ? metric > best_ * (options_.threshold + 1) : metric > best_ + options_.threshold;
}

template <class T>
void ReduceLROnPlateau<T>::step(double metric) {
    ++last_epoch_;
    if (is_better(metric)) {
        best_ = metric;
        num_bad_epochs_ = 0;
    } else {
        ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {  // in cooldown: bad epochs are not counted
        --cooldown_counter_;
        num_bad_epochs_ = 0;
    }
    if (num_bad_epochs_ > options_.patience) {
        const auto& groups = optimizer_.param_groups();
        for (std::size_t g = 0; g < groups.size(); ++g) {
            const double old_lr = groups[g].learning_rate;
            const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
            if (old_lr - new_lr > options_.eps) optimizer_.set_learning_rate(g, new_lr);
        }
        cooldown_counter_ = options_.cooldown;
        num_bad_epochs_ = 0;
    }
    last_lr_.clear();
    for (const GroupSettings& group : optimizer_.param_groups())
        last_lr_.push_back(group.learning_rate);
}

template <class T>
void ReduceLROnPlateau<T>::visit_state(SchedulerStateVisitor& visitor) {
    // PyTorch's names: mode 0 min, 1 max; threshold_mode 0 rel, 1 abs.
    visitor.setting("mode", options_.mode == PlateauOptions::Mode::min ? 0 : 1);
    visitor.setting("factor", options_.factor);
    visitor.setting("patience", static_cast<double>(options_.patience));
    visitor.setting("threshold", options_.threshold);
    visitor.setting("threshold_mode",
                    options_.threshold_mode == PlateauOptions::ThresholdMode::rel ? 0 : 1);
    visitor.setting("cooldown", static_cast<double>(options_.cooldown));
    for (std::size_t g = 0; g < last_lr_.size(); ++g)
        visitor.setting("min_lrs." + std::to_string(g), options_.min_lr);
    visitor.setting("eps", options_.eps);
    visitor.real("best", best_, /*infinite_ok=*/true);
    visitor.count("num_bad_epochs", num_bad_epochs_, 0);
    visitor.count("cooldown_counter", cooldown_counter_, 0);
    visitor.count("last_epoch", last_epoch_, 0);
    visitor.reals("_last_lr", last_lr_);
}

template class ReduceLROnPlateau<float>;
template class ReduceLROnPlateau<double>;

}  // namespace tg::optim
