#include <tapegrad/check.hpp>
#include <tapegrad/optim/rmsprop.hpp>

#include <cmath>

namespace tg::optim {
namespace {

/// The options, checked before the base checks the groups.
const RMSpropOptions& checked(const RMSpropOptions& o) {
    detail::check_non_negative("RMSprop", {{"alpha", o.alpha},
                                           {"eps", o.eps},
                                           {"weight_decay", o.weight_decay},
                                           {"momentum", o.momentum}});
    return o;
}

}  // namespace

template <class T>
RMSprop<T>::RMSprop(std::vector<Tensor<T>> parameters, T learning_rate, RMSpropOptions options)
    : RMSprop(std::vector<ParamGroup<T>>{{std::move(parameters)}}, learning_rate, options) {}

template <class T>
RMSprop<T>::RMSprop(std::vector<ParamGroup<T>> groups, T learning_rate, RMSpropOptions options)
    : Optimizer<T>(std::move(groups), learning_rate, checked(options).weight_decay),
      options_(options) {}

template <class T>
std::vector<std::string> RMSprop<T>::buffer_names() const {
    std::vector<std::string> names{"square_avg"};
    if (options_.centered) names.push_back("grad_avg");
    // Last, so that a momentum a schedule turns on after some steps adds a buffer at the end.
    if (options_.momentum > 0 || this->any_group_momentum()) names.push_back("momentum_buffer");
    return names;
}

template <class T>
void RMSprop<T>::check_momentum(double momentum) const {
    if (!(momentum >= 0) || !std::isfinite(momentum))
        throw ValueError("RMSprop: momentum (" + std::to_string(momentum) + ") must be >= 0");
}

template <class T>
std::vector<std::pair<std::string, double>> RMSprop<T>::hyper_parameters() const {
    return {{"alpha", options_.alpha},
            {"eps", options_.eps},
            {"momentum", options_.momentum},
            {"centered", options_.centered ? 1.0 : 0.0},
            {"maximize", options_.maximize ? 1.0 : 0.0}};
}

template <class T>
void RMSprop<T>::step() {
    const T alpha = static_cast<T>(options_.alpha);
    const T one_minus_alpha = static_cast<T>(1.0 - options_.alpha);
    const T eps = static_cast<T>(options_.eps);
    const bool centered = options_.centered;
    const T sign = options_.maximize ? T(-1) : T(1);
    for (const GroupSettings& group : this->groups_) {
        const double group_mu = group.momentum.value_or(options_.momentum);
        const T mu = static_cast<T>(group_mu);
        const bool momentum = group_mu > 0;
        const T lr = static_cast<T>(group.learning_rate);
        const T decay = static_cast<T>(group.weight_decay);
        for (std::size_t k = group.first; k < group.first + group.count; ++k) {
            Tensor<T>& param = this->parameters_[k];
            if (!param.has_grad()) continue;
            const Tensor<T> grad = param.grad();
            auto& state = this->advance(k);
            const std::size_t n = param.size();
            const T* g = grad.value().data();
            T* p = param.mutable_value().data();
            T* s = state.buffers[0].data();
            T* a = centered ? state.buffers[1].data() : nullptr;
            T* b = momentum ? state.buffers.back().data() : nullptr;
            for (std::size_t i = 0; i < n; ++i) {
                const T d = sign * g[i] + decay * p[i];
                s[i] = alpha * s[i] + one_minus_alpha * d * d;
                T r;
                if (a) {
                    a[i] = alpha * a[i] + one_minus_alpha * d;
                    r = std::sqrt(s[i] - a[i] * a[i]) + eps;
                } else {
                    r = std::sqrt(s[i]) + eps;
                }
                if (b) {
                    b[i] = mu * b[i] + d / r;
                    p[i] -= lr * b[i];
                } else {
                    p[i] -= lr * d / r;
                }
            }
        }
    }
}

template class RMSprop<float>;
template class RMSprop<double>;

}  // namespace tg::optim
