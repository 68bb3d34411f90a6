#pragma once
// tg::optim::ReduceLROnPlateau, as PyTorch's: lower the learning rate when a metric has
// stopped improving.
//
//     tg::optim::ReduceLROnPlateau<> schedule(opt, {.patience = 5});   // C++20 designators
//     for (...) { train_one_epoch(); schedule.step(validation_loss()); }

#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/scheduler_state.hpp>

#include <cstdint>
#include <vector>

namespace tg::optim {

/// Options of ReduceLROnPlateau (an aggregate), PyTorch's defaults.
struct PlateauOptions {
    /// Whether the metric should go down or up.
    enum class Mode {
        min,  ///< lower is better (a loss)
        max   ///< higher is better (an accuracy)
    };
    /// How an improvement is measured against the best value so far.
    enum class ThresholdMode {
        rel,  ///< by a fraction `threshold` of the best value
        abs   ///< by `threshold` itself
    };
    Mode mode = Mode::min;                           ///< min: lower is better
    double factor = 0.1;                             ///< new lr = lr · factor (< 1)
    std::int64_t patience = 10;                      ///< bad epochs tolerated before a cut
    double threshold = 1e-4;                         ///< what counts as an improvement
    ThresholdMode threshold_mode = ThresholdMode::rel;  ///< relative or absolute threshold
    std::int64_t cooldown = 0;  ///< epochs after a cut during which bad epochs are not counted
    double min_lr = 0;          ///< the learning rate is never cut below this (every group)
    double eps = 1e-8;          ///< a cut smaller than this is not made
};

/// After each step(metric): the metric improves on the best so far when
///     rel, min: metric < best · (1 − threshold)    rel, max: metric > best · (1 + threshold)
///     abs, min: metric < best − threshold          abs, max: metric > best + threshold
/// (best starts at +∞ for min, −∞ for max). Otherwise the epoch is bad; during the
/// cooldown after a cut, bad epochs are not counted. When more than `patience` bad
/// epochs have been counted, each group's lr becomes max(lr · factor, min_lr) (unless
/// that changes it by eps or less), the count restarts and the cooldown begins.
template <class T = double>
class ReduceLROnPlateau : public Scheduler {
public:
    std::string scheduler_name() const override { return "ReduceLROnPlateau"; }
    /// A schedule of `optimizer`'s groups; factor must be < 1 and >= 0, patience and
    /// cooldown >= 0, threshold, min_lr and eps >= 0.
    explicit ReduceLROnPlateau(Optimizer<T>& optimizer, PlateauOptions options = {});

    /// Records the metric of the epoch that ended and cuts the learning rates if due.
    void step(double metric);

    /// The best metric so far.
    double best() const { return best_; }
    /// Bad epochs counted since the last improvement or cut.
    std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
    /// Epochs of cooldown left.
    std::int64_t cooldown_counter() const { return cooldown_counter_; }
    /// Epochs seen (steps taken).
    std::int64_t last_epoch() const { return last_epoch_; }
    /// The learning rate of each group after the last step.
    const std::vector<double>& last_lr() const { return last_lr_; }
    /// The options given.
    const PlateauOptions& options() const { return options_; }

protected:
    /// Settings (mode, factor, patience, threshold, threshold_mode, cooldown, min_lrs, eps)
    /// and state (best, num_bad_epochs, cooldown_counter, last_epoch, _last_lr).
    void visit_state(SchedulerStateVisitor& visitor) override;

private:
    bool is_better(double metric) const;

    Optimizer<T>& optimizer_;
    PlateauOptions options_;
    double best_;
    std::int64_t num_bad_epochs_ = 0;
    std::int64_t cooldown_counter_ = 0;
    std::int64_t last_epoch_ = 0;
    std::vector<double> last_lr_;
};

extern template class ReduceLROnPlateau<float>;
extern template class ReduceLROnPlateau<double>;

}  // namespace tg::optim
