#include <tapegrad/optim/sgd.hpp>

#include <cmath>
#include <xtensor/xbuilder.hpp>

namespace tg::optim {

template <class T>
SGD<T>::SGD(std::vector<Tensor<T>> parameters, T learning_rate, SGDOptions options)
    : Optimizer<T>(std::move(parameters), learning_rate), options_(options) {
    if (!(options.momentum >= 0) || !(options.weight_decay >= 0))
        throw ValueError("SGD: momentum (" + std::to_string(options.momentum) +
                         ") and weight_decay (" + std::to_string(options.weight_decay) +
                         ") must be >= 0");
    if (options.nesterov && options.momentum == 0)
        throw ValueError("SGD: nesterov needs a momentum > 0");
    velocity_.resize(this->parameters_.size());
}

template <class T>
void SGD<T>::step() {
    const T lr = this->learning_rate_;
    const T mu = static_cast<T>(options_.momentum);
    const T decay = static_cast<T>(options_.weight_decay);
    for (std::size_t k = 0; k < this->parameters_.size(); ++k) {
        Tensor<T>& param = this->parameters_[k];
        if (!param.has_grad()) continue;
        const Tensor<T> grad = param.grad();
        const T* g = grad.value().data();
        T* p = param.mutable_value().data();
        const std::size_t n = param.size();
        if (mu == T(0) && decay == T(0)) {  // plain gradient descent: p −= α g
            for (std::size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
            continue;
        }
        if (mu == T(0)) {
            for (std::size_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + decay * p[i]);
            continue;
        }
        Array<T>& velocity = velocity_[k];
        const bool first = velocity.size() != n;
        if (first) velocity = Array<T>(param.value().shape());
        T* v = velocity.data();
        for (std::size_t i = 0; i < n; ++i) {
            const T d = g[i] + decay * p[i];
            v[i] = first ? d : mu * v[i] + d;
            p[i] -= lr * (options_.nesterov ? d + mu * v[i] : v[i]);
        }
    }
}

template class SGD<float>;
template class SGD<double>;

}  // namespace tg::optim
