#include <tapegrad/optim/optimizer.hpp>

#include <cmath>

namespace tg::optim {
namespace {

template <class T>
void check_learning_rate(T lr) {
    if (!(lr >= 0) || !std::isfinite(lr))
        throw ValueError("optimizer: learning rate " + std::to_string(lr) +
                         " is not a finite number >= 0");
}

}  // namespace

template <class T>
Optimizer<T>::Optimizer(std::vector<Tensor<T>> parameters, T learning_rate)
    : parameters_(std::move(parameters)), learning_rate_(learning_rate) {
    check_learning_rate(learning_rate);
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        const Tensor<T>& p = parameters_[i];
        if (!p.defined() || !p.is_leaf() || !p.requires_grad())
            throw ValueError("optimizer: parameter #" + std::to_string(i) +
                             " is not a leaf that requires a gradient; pass module.parameters() "
                             "or tensors made with tg::parameter(...)");
    }
}

template <class T>
void Optimizer<T>::zero_grad(bool set_to_none) {
    for (Tensor<T>& p : parameters_) set_to_none ? p.reset_grad() : p.zero_grad();
}

template <class T>
void Optimizer<T>::set_learning_rate(T learning_rate) {
    check_learning_rate(learning_rate);
    learning_rate_ = learning_rate;
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace tg::optim
