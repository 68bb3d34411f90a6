#include <tapegrad/nn/activation.hpp>
#include <tapegrad/ops/activation.hpp>

#include <sstream>

namespace tg::nn {

template <class T>
Tensor<T> Sigmoid<T>::forward(const Tensor<T>& x) {
    return sigmoid(x);
}

template <class T>
Tensor<T> Tanh<T>::forward(const Tensor<T>& x) {
    return tg::tanh(x);
}

template <class T>
Tensor<T> ReLU<T>::forward(const Tensor<T>& x) {
    return relu(x);
}

template <class T>
Tensor<T> LeakyReLU<T>::forward(const Tensor<T>& x) {
    return leaky_relu(x, slope_);
}

template <class T>
std::string LeakyReLU<T>::describe() const {
    std::ostringstream out;
    out << "LeakyReLU(slope=" << slope_ << ")";
    return out.str();
}

template <class T>
Tensor<T> Softplus<T>::forward(const Tensor<T>& x) {
    return softplus(x);
}

#define TG_NN_ACTIVATION_INSTANTIATE(T) \
    template class Sigmoid<T>;          \
    template class Tanh<T>;             \
    template class ReLU<T>;             \
    template class LeakyReLU<T>;        \
    template class Softplus<T>;         \
    template class Identity<T>;
TG_NN_ACTIVATION_INSTANTIATE(float)
TG_NN_ACTIVATION_INSTANTIATE(double)

}  // namespace tg::nn
