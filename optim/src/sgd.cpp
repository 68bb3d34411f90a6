#include <tapegrad/check.hpp>
#include <tapegrad/optim/sgd.hpp>

#include <cmath>

namespace tg::optim {
namespace {

/// The options, checked before the base checks the groups.
const SGDOptions& checked(const SGDOptions& options) {
    detail::check_non_negative("SGD", {{"momentum", options.momentum},
                                       {"weight_decay", options.weight_decay},
                                       {"dampening", options.dampening}});
    TG_CHECK(!options.nesterov || (options.momentum != 0 && options.dampening == 0), ValueError,
             "SGD: nesterov needs a momentum > 0 and dampening 0 (as in PyTorch)");
    return options;
}

}  // namespace

template <class T>
SGD<T>::SGD(std::vector<Tensor<T>> parameters, T learning_rate, SGDOptions options)
    : SGD(std::vector<ParamGroup<T>>{{std::move(parameters)}}, learning_rate, options) {}

template <class T>
SGD<T>::SGD(std::vector<ParamGroup<T>> groups, T learning_rate, SGDOptions options)
    : Optimizer<T>(std::move(groups), learning_rate, checked(options).weight_decay),
      options_(options) {}

template <class T>
std::vector<std::string> SGD<T>::buffer_names() const {
    if (options_.momentum == 0 && !this->any_group_momentum()) return {};
    return {"momentum_buffer"};
}

template <class T>
void SGD<T>::check_momentum(double momentum) const {
    if (!(momentum >= 0) || !std::isfinite(momentum))
        throw ValueError("SGD: momentum (" + std::to_string(momentum) + ") must be >= 0");
}

template <class T>
std::vector<std::pair<std::string, double>> SGD<T>::hyper_parameters() const {
    return {{"momentum", options_.momentum},
            {"nesterov", options_.nesterov ? 1.0 : 0.0},
            {"dampening", options_.dampening},
            {"maximize", options_.maximize ? 1.0 : 0.0}};
}

template <class T>
void SGD<T>::step() {
    for (const GroupSettings& group : this->groups_) {
        const T mu = static_cast<T>(group.momentum.value_or(options_.momentum));
        const T lr = static_cast<T>(group.learning_rate);
        const T decay = static_cast<T>(group.weight_decay);
        // With maximize the step ascends: lr · g added, as p −= lr · (−g).
        const T rate = options_.maximize ? -lr : lr;
        const T sign = options_.maximize ? T(-1) : T(1);
        const T undamped = static_cast<T>(1.0 - options_.dampening);
        for (std::size_t k = group.first; k < group.first + group.count; ++k) {
            Tensor<T>& param = this->parameters_[k];
            if (!param.has_grad()) continue;
            const Tensor<T> grad = param.grad();
            auto& state = this->advance(k);
            const T* g = grad.value().data();
            T* p = param.mutable_value().data();
            const std::size_t n = param.size();
            if (mu == T(0) && decay == T(0)) {  // plain gradient descent: p −= α g
                for (std::size_t i = 0; i < n; ++i) p[i] -= rate * g[i];
                continue;
            }
            if (mu == T(0)) {
                for (std::size_t i = 0; i < n; ++i) p[i] -= lr * (sign * g[i] + decay * p[i]);
                continue;
            }
            const bool first = state.step == 1;
            T* v = state.buffers[0].data();
            for (std::size_t i = 0; i < n; ++i) {
                const T d = sign * g[i] + decay * p[i];
                v[i] = first ? d : mu * v[i] + undamped * d;
                p[i] -= lr * (options_.nesterov ? d + mu * v[i] : v[i]);
            }
        }
    }
}

template class SGD<float>;
template class SGD<double>;

}  // namespace tg::optim
