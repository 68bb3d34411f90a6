#include <tapegrad/optim/adam.hpp>

#include <cmath>
#include <xtensor/xbuilder.hpp>

namespace tg::optim {

template <class T>
Adam<T>::Adam(std::vector<Tensor<T>> parameters, T learning_rate, AdamOptions options)
    : Optimizer<T>(std::move(parameters), learning_rate), options_(options) {
    if (!(options.beta1 >= 0 && options.beta1 < 1) || !(options.beta2 >= 0 && options.beta2 < 1))
        throw ValueError("Adam: beta1 (" + std::to_string(options.beta1) + ") and beta2 (" +
                         std::to_string(options.beta2) + ") must lie in [0, 1)");
    if (!(options.eps >= 0) || !(options.weight_decay >= 0))
        throw ValueError("Adam: eps (" + std::to_string(options.eps) + ") and weight_decay (" +
                         std::to_string(options.weight_decay) + ") must be >= 0");
    state_.resize(this->parameters_.size());
}

template <class T>
void Adam<T>::step() {
    const T lr = this->learning_rate_;
    const T beta1 = static_cast<T>(options_.beta1), beta2 = static_cast<T>(options_.beta2);
    // 1 − β in double, then rounded: in float, 1 − 0.999f is off by 1.3e-5 relative.
    const T one_minus_beta1 = static_cast<T>(1.0 - options_.beta1);
    const T one_minus_beta2 = static_cast<T>(1.0 - options_.beta2);
    const T eps = static_cast<T>(options_.eps), decay = static_cast<T>(options_.weight_decay);
    for (std::size_t k = 0; k < this->parameters_.size(); ++k) {
        Tensor<T>& param = this->parameters_[k];
        if (!param.has_grad()) continue;
        const Tensor<T> grad = param.grad();
        State& s = state_[k];
        const std::size_t n = param.size();
        if (s.step == 0) {
            s.m = xt::zeros<T>(param.value().shape());
            s.v = xt::zeros<T>(param.value().shape());
        }
        ++s.step;
        // Bias corrections 1 − βᵗ, in double so that they do not round to 0 in float.
        const T correction1 =
            static_cast<T>(1.0 - std::pow(options_.beta1, static_cast<double>(s.step)));
        const T correction2 =
            static_cast<T>(1.0 - std::pow(options_.beta2, static_cast<double>(s.step)));
        const T* g = grad.value().data();
        T* p = param.mutable_value().data();
        T* m = s.m.data();
        T* v = s.v.data();
        for (std::size_t i = 0; i < n; ++i) {
            const T d = g[i] + decay * p[i];
            m[i] = beta1 * m[i] + one_minus_beta1 * d;
            v[i] = beta2 * v[i] + one_minus_beta2 * d * d;
            const T m_hat = m[i] / correction1;
            const T v_hat = v[i] / correction2;
            p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
        }
    }
}

template class Adam<float>;
template class Adam<double>;

}  // namespace tg::optim
