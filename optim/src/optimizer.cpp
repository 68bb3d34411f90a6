#include <tapegrad/check.hpp>
#include <tapegrad/optim/optimizer.hpp>

#include <cmath>

namespace tg::optim {
namespace {

void check_learning_rate(double lr) {
    TG_CHECK(lr >= 0 && std::isfinite(lr), ValueError, "optimizer: learning rate ",
             std::to_string(lr), " is not a finite number >= 0");
}

void check_weight_decay(double decay) {
    TG_CHECK(decay >= 0 && std::isfinite(decay), ValueError, "optimizer: weight decay ",
             std::to_string(decay), " is not a finite number >= 0");
}

}  // namespace

template <class T>
Optimizer<T>::Optimizer(std::vector<ParamGroup<T>> groups, double learning_rate,
                        double weight_decay) {
    check_learning_rate(learning_rate);
    TG_CHECK(!groups.empty(), ValueError, "optimizer: no parameter group given");
    for (ParamGroup<T>& group : groups) {
        GroupSettings settings;
        settings.first = parameters_.size();
        settings.count = group.parameters.size();
        settings.learning_rate = group.learning_rate.value_or(learning_rate);
        settings.weight_decay = group.weight_decay.value_or(weight_decay);
        check_learning_rate(settings.learning_rate);
        check_weight_decay(settings.weight_decay);
        groups_.push_back(settings);
        for (Tensor<T>& p : group.parameters) parameters_.push_back(std::move(p));
    }
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        const Tensor<T>& p = parameters_[i];
        TG_CHECK(p.defined() && p.is_leaf() && p.requires_grad(), ValueError,
                 "optimizer: parameter #", i,
                 " is not a leaf that requires a gradient; pass module.parameters() or tensors "
                 "made with tg::parameter(...)");
        // As PyTorch: a parameter updated twice per step would be a silent bug.
        for (std::size_t j = 0; j < i; ++j)
            TG_CHECK(!parameters_[j].same(p), ValueError, "optimizer: parameter #", i,
                     " is the same tensor as parameter #", j,
                     "; a parameter may appear once, in one group");
    }
    state_.resize(parameters_.size());
}

template <class T>
void Optimizer<T>::zero_grad(bool set_to_none) {
    for (Tensor<T>& p : parameters_) set_to_none ? p.reset_grad() : p.zero_grad();
}

template <class T>
void Optimizer<T>::set_learning_rate(T learning_rate) {
    check_learning_rate(learning_rate);
    for (GroupSettings& group : groups_) group.learning_rate = learning_rate;
}

template <class T>
void Optimizer<T>::set_learning_rate(std::size_t group, double learning_rate) {
    check_learning_rate(learning_rate);
    groups_.at(group).learning_rate = learning_rate;
}

template <class T>
void Optimizer<T>::set_initial_learning_rate(std::size_t group, double learning_rate) {
    check_learning_rate(learning_rate);
    groups_.at(group).initial_learning_rate = learning_rate;
}

template <class T>
void Optimizer<T>::set_weight_decay(std::size_t group, double weight_decay) {
    check_weight_decay(weight_decay);
    groups_.at(group).weight_decay = weight_decay;
}

template <class T>
void Optimizer<T>::set_momentum(std::size_t group, double momentum) {
    check_momentum(momentum);
    groups_.at(group).momentum = momentum;
    buffer_count_.reset();
}

template <class T>
void Optimizer<T>::check_momentum(double) const {
    throw ValueError(name() + " has no momentum to set (neither a momentum nor a beta1)");
}

template <class T>
bool Optimizer<T>::any_group_momentum() const {
    for (const GroupSettings& group : groups_)
        if (group.momentum) return true;
    return false;
}

template <class T>
void Optimizer<T>::restore(std::vector<ParameterState> states,
                           const std::vector<GroupSettings>& groups) {
    TG_CHECK(states.size() == state_.size() && groups.size() == groups_.size(), ValueError, name(),
             ": restore needs ", state_.size(), " parameter states and ", groups_.size(),
             " groups; got ", states.size(), " and ", groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g)
        TG_CHECK(groups[g].first == groups_[g].first && groups[g].count == groups_[g].count,
                 ValueError, name(), ": restore: group ", g,
                 " holds other parameters than this optimizer's");
    const std::size_t buffers = buffer_names().size();
    for (std::size_t k = 0; k < states.size(); ++k) {
        const ParameterState& s = states[k];
        bool fits = s.step == 0 ? s.buffers.empty() : s.buffers.size() == buffers;
        for (const Array<T>& b : s.buffers)
            fits = fits && Shape(b.shape()) == parameters_[k].shape();
        TG_CHECK(fits, ValueError, name(), ": restore: the state of parameter #", k,
                 " does not have one buffer of its shape per buffer name");
    }
    state_ = std::move(states);
    groups_ = groups;
    buffer_count_.reset();
}

template <class T>
typename Optimizer<T>::ParameterState& Optimizer<T>::advance(std::size_t k, T fill) {
    ParameterState& s = state_[k];
    if (s.step == 0) s.buffers.clear();
    if (!buffer_count_) buffer_count_ = buffer_names().size();
    // PyTorch's momentum buffer starts as the first step's d = μ·0 + d: zeros do the same.
    const T start = s.step == 0 ? fill : T(0);
    for (std::size_t b = s.buffers.size(); b < *buffer_count_; ++b) {
        s.buffers.emplace_back(parameters_[k].value().shape());
        s.buffers.back().fill(start);
    }
    ++s.step;
    return s;
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace tg::optim
