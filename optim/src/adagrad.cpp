#include <tapegrad/check.hpp>
#include <tapegrad/optim/adagrad.hpp>

#include <cmath>

namespace tg::optim {
namespace {

/// The options, checked before the base checks the groups.
const AdagradOptions& checked(const AdagradOptions& o) {
    detail::check_non_negative("Adagrad",
                               {{"lr_decay", o.lr_decay},
                                {"weight_decay", o.weight_decay},
                                {"initial_accumulator_value", o.initial_accumulator_value},
                                {"eps", o.eps}});
    return o;
}

}  // namespace

template <class T>
Adagrad<T>::Adagrad(std::vector<Tensor<T>> parameters, T learning_rate, AdagradOptions options)
    : Adagrad(std::vector<ParamGroup<T>>{{std::move(parameters)}}, learning_rate, options) {}

template <class T>
Adagrad<T>::Adagrad(std::vector<ParamGroup<T>> groups, T learning_rate, AdagradOptions options)
    : Optimizer<T>(std::move(groups), learning_rate, checked(options).weight_decay),
      options_(options) {}

template <class T>
std::vector<std::pair<std::string, double>> Adagrad<T>::hyper_parameters() const {
    return {{"lr_decay", options_.lr_decay},
            {"initial_accumulator_value", options_.initial_accumulator_value},
            {"eps", options_.eps},
            {"maximize", options_.maximize ? 1.0 : 0.0}};
}

template <class T>
void Adagrad<T>::step() {
    const T eps = static_cast<T>(options_.eps);
    const T sign = options_.maximize ? T(-1) : T(1);
    for (const GroupSettings& group : this->groups_) {
        const T decay = static_cast<T>(group.weight_decay);
        for (std::size_t k = group.first; k < group.first + group.count; ++k) {
            Tensor<T>& param = this->parameters_[k];
            if (!param.has_grad()) continue;
            const Tensor<T> grad = param.grad();
            auto& state = this->advance(k, static_cast<T>(options_.initial_accumulator_value));
            // The decayed step size in double, as PyTorch's Python float.
            const T clr =
                static_cast<T>(group.learning_rate /
                               (1 + static_cast<double>(state.step - 1) * options_.lr_decay));
            const std::size_t n = param.size();
            const T* g = grad.value().data();
            T* p = param.mutable_value().data();
            T* s = state.buffers[0].data();
            for (std::size_t i = 0; i < n; ++i) {
                const T d = sign * g[i] + decay * p[i];
                s[i] += d * d;
                p[i] -= clr * d / (std::sqrt(s[i]) + eps);
            }
        }
    }
}

template class Adagrad<float>;
template class Adagrad<double>;

}  // namespace tg::optim
