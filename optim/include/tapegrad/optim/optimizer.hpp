#pragma once
// tg::optim::Optimizer: the base of SGD, Adam, AdamW, RMSprop, Adagrad and LBFGS.
//
//     tg::optim::Adam<> opt(net.parameters(), 1e-3);
//     tg::Tape tape;                              // one tape for the whole loop
//     for (...) {
//         opt.zero_grad();
//         tape.backward(loss_of(net(x), y));
//         opt.step();                             // in place, records nothing
//     }
//
// A step changes parameter values in place through mutable_value(): it records
// nothing, even while a tape is active, and bumps each parameter's version, so an entry
// still holding the old values (retain_graph) refuses to run backward with the new ones.
// Parameters with no gradient yet are skipped, as in PyTorch.
//
// Parameter groups, as PyTorch's param_groups: each group has its own learning rate and
// weight decay (the optimizer's when the group gives none):
//
//     tg::optim::SGD<> opt({{body.parameters()}, {head.parameters(), /*lr=*/0.1}}, 0.01);
//
// The optimizer keeps the parameters of all groups in one list, group after group
// (parameters()); its per-parameter state (steps taken, moment buffers) is indexed the
// same way, and is what tg::optim::save writes (<tapegrad/optim/checkpoint.hpp>).

#include <tapegrad/tensor.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tg::optim {

template <class T>
class LRScheduler;

/// Parameters given to an optimizer with their own learning rate and weight decay (an
/// aggregate: `{params, 0.1}`; an option left empty takes the optimizer's value).
template <class T = double>
struct ParamGroup {
    /// The group's parameters: leaves that require a gradient, in no other group.
    std::vector<Tensor<T>> parameters;
    /// The group's learning rate; the optimizer's when empty.
    std::optional<double> learning_rate = std::nullopt;
    /// The group's weight decay λ; the optimizer's option when empty.
    std::optional<double> weight_decay = std::nullopt;
};

/// A parameter group as an optimizer holds it: a range of parameters() and its settings.
struct GroupSettings {
    std::size_t first = 0;  ///< index in parameters() of the group's first parameter
    std::size_t count = 0;  ///< number of parameters in the group
    double learning_rate = 0;  ///< the learning rate of the next step
    double weight_decay = 0;   ///< λ, used as each optimizer documents
    /// The learning rate a schedule starts from (PyTorch's group["initial_lr"]): set by
    /// the first scheduler built on the optimizer, empty until then.
    std::optional<double> initial_learning_rate = std::nullopt;
    /// The group's momentum, set by a schedule that cycles it (OneCycleLR): SGD's and
    /// RMSprop's μ (PyTorch's group["momentum"]), Adam's and AdamW's β₁
    /// (group["betas"][0]); empty: the optimizer's option.
    std::optional<double> momentum = std::nullopt;
};

/// The base of the optimizers: parameter groups, per-parameter state, step() and
/// zero_grad().
template <class T = double>
class Optimizer {
public:
    /// The state of one parameter: the steps taken on it and its buffers (named by
    /// buffer_names(), in that order). Empty (step 0, no buffers) until its first step.
    struct ParameterState {
        std::uint64_t step = 0;      ///< steps taken on this parameter
        std::vector<Array<T>> buffers;  ///< one per buffer_names(), each of its shape
    };

    /// `groups` of parameters, which must be leaves that require a gradient, each in one
    /// group only; a group without a learning rate or weight decay takes `learning_rate`
    /// or `weight_decay`. Every learning rate must be >= 0, every weight decay >= 0.
    Optimizer(std::vector<ParamGroup<T>> groups, double learning_rate, double weight_decay);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// Updates every parameter that has a gradient.
    virtual void step() = 0;
    /// Clears every parameter's gradient before the next backward. As in PyTorch (2.0 on),
    /// the gradients are dropped (Tensor::reset_grad): the next backward then hands its
    /// gradients over instead of adding them to zeros, which saves a pass over every
    /// parameter twice a step. With set_to_none = false they are set to zero instead,
    /// keeping their buffers (Tensor::zero_grad).
    void zero_grad(bool set_to_none = true);

    /// The learning rate of the first group (of the only one unless groups were given).
    T learning_rate() const { return static_cast<T>(groups_.front().learning_rate); }
    /// Sets the learning rate of every group (for a schedule by hand).
    void set_learning_rate(T learning_rate);
    /// Sets the learning rate of group `group` (>= 0).
    void set_learning_rate(std::size_t group, double learning_rate);
    /// Sets the learning rate a schedule of group `group` starts from.
    void set_initial_learning_rate(std::size_t group, double learning_rate);
    /// Sets the weight decay of group `group` (>= 0).
    void set_weight_decay(std::size_t group, double weight_decay);
    /// What a schedule cycles as the momentum: "momentum" (SGD, RMSprop), "beta1" (Adam,
    /// AdamW), or empty when the optimizer has none (Adagrad).
    virtual std::optional<std::string> momentum_name() const { return std::nullopt; }
    /// Sets the momentum of group `group` (GroupSettings::momentum), checked as the
    /// optimizer's option is (tg::ValueError, also when momentum_name() is empty).
    void set_momentum(std::size_t group, double momentum);
    /// Throws tg::ValueError unless `momentum` is a valid value of momentum_name().
    virtual void check_momentum(double momentum) const;
    /// The parameter groups, in the order given.
    const std::vector<GroupSettings>& param_groups() const { return groups_; }
    /// The parameters of all groups, group after group, each in the order given.
    const std::vector<Tensor<T>>& parameters() const { return parameters_; }

    /// The name of the optimizer ("Adam"), for messages.
    virtual std::string name() const = 0;
    /// The names of the buffers kept per parameter, in the order of ParameterState's
    /// buffers (PyTorch's names: "exp_avg", "momentum_buffer", ...).
    virtual std::vector<std::string> buffer_names() const = 0;
    /// The optimizer-wide hyper-parameters as (name, value) pairs ("beta1", 0.9), the
    /// fields of its options except the weight decay, which each group has; booleans
    /// are 0 or 1. A state file records them, and loading one checks them.
    virtual std::vector<std::pair<std::string, double>> hyper_parameters() const = 0;
    /// The state of parameter `index` of parameters().
    const ParameterState& state(std::size_t index) const { return state_.at(index); }
    /// State kept for the optimizer as a whole rather than per parameter (LBFGS's
    /// history), as named float64 arrays; tg::optim::save writes each as `state.0.NAME`,
    /// where PyTorch keeps such state (under the first parameter). Empty for the others.
    virtual std::vector<std::pair<std::string, Array<double>>> global_state() const { return {}; }
    /// The names global_state() may hold.
    virtual std::vector<std::string> global_state_names() const { return {}; }
    /// Whether global_state()'s entry `name` may have `shape` (tg::optim::load asks before
    /// it reads the entry's data).
    virtual bool global_state_fits(const std::string& /*name*/, const Shape& /*shape*/) const {
        return false;
    }
    /// tg::ValueError naming what does not fit together in `entries` (of
    /// global_state_names(), each shaped as global_state_fits() allows; none: the state
    /// before a first step); tg::optim::load asks before it changes anything.
    virtual void check_global_state(
        const std::vector<std::pair<std::string, Array<double>>>& /*entries*/) const {}
    /// Replaces the global state by `entries`, which check_global_state() accepts.
    virtual void restore_global_state(
        const std::vector<std::pair<std::string, Array<double>>>& /*entries*/) {}
    /// Replaces the state of every parameter and the groups' learning rates, weight
    /// decays and initial learning rates at once (tg::optim::load checks them first:
    /// one state per parameter, each empty or with every buffer in its parameter's
    /// shape; group settings as param_groups() with the same ranges).
    void restore(std::vector<ParameterState> states, const std::vector<GroupSettings>& groups);

protected:
    /// The state of parameter k, its buffers created (zeros, or `fill`) on its first
    /// step; increments its step count. A buffer named after the parameter's first step
    /// (a momentum that a schedule turned on) is added then, as zeros.
    ParameterState& advance(std::size_t k, T fill = T(0));
    /// Whether a group has a momentum of its own (set by a schedule).
    bool any_group_momentum() const;

    /// The parameters of all groups, group after group.
    std::vector<Tensor<T>> parameters_;
    /// The groups: ranges of parameters_ and their settings.
    std::vector<GroupSettings> groups_;
    /// One state per parameter of parameters_.
    std::vector<ParameterState> state_;

private:
    /// buffer_names().size(), known after the first step; forgotten when a group's momentum
    /// changes (it may add a momentum buffer), so that a step does not list the names.
    std::optional<std::size_t> buffer_count_;
    /// The schedules set rates without the check of set_learning_rate: PyTorch's
    /// OneCycleLR sets a negative rate at step total_steps, one past its cycle.
    template <class>
    friend class LRScheduler;
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace tg::optim
