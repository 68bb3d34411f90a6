#include <tapegrad/check.hpp>
#include <tapegrad/nn/activation.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/softmax.hpp>

#include <string>
#include <utility>

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
    return "LeakyReLU(negative_slope=" + repr(slope_) + ")";
}

template <class T>
Tensor<T> Softplus<T>::forward(const Tensor<T>& x) {
    return softplus(x, beta_, threshold_);
}

template <class T>
std::string Softplus<T>::describe() const {
    if (beta_ == T(1) && threshold_ == T(20)) return "Softplus";
    return "Softplus(beta=" + repr(beta_) + ", threshold=" + repr(threshold_) + ")";
}

template <class T>
GELU<T>::GELU(std::string approximate) : approximate_(std::move(approximate)) {
    TG_CHECK(approximate_ == "none" || approximate_ == "tanh", ValueError,
             "GELU: approximate must be \"none\" or \"tanh\" (as in PyTorch), got \"", approximate_,
             "\"");
}

template <class T>
Tensor<T> GELU<T>::forward(const Tensor<T>& x) {
    return approximate_ == "tanh" ? gelu(x, approximate_) : gelu(x);
}

template <class T>
std::string GELU<T>::describe() const {
    return approximate_ == "none" ? "GELU" : "GELU(approximate='" + approximate_ + "')";
}

template <class T>
Tensor<T> SiLU<T>::forward(const Tensor<T>& x) {
    return silu(x);
}

template <class T>
Tensor<T> ELU<T>::forward(const Tensor<T>& x) {
    return elu(x, alpha_);
}

template <class T>
std::string ELU<T>::describe() const {
    return "ELU(alpha=" + repr(alpha_) + ")";
}

template <class T>
Tensor<T> Softsign<T>::forward(const Tensor<T>& x) {
    return softsign(x);
}

template <class T>
Tensor<T> Softmax<T>::forward(const Tensor<T>& x) {
    return softmax(x, dim_);
}

template <class T>
std::string Softmax<T>::describe() const {
    return "Softmax(dim=" + std::to_string(dim_) + ")";
}

template <class T>
Tensor<T> LogSoftmax<T>::forward(const Tensor<T>& x) {
    return log_softmax(x, dim_);
}

template <class T>
std::string LogSoftmax<T>::describe() const {
    return "LogSoftmax(dim=" + std::to_string(dim_) + ")";
}

#define TG_NN_ACTIVATION_INSTANTIATE(T) \
    template class Sigmoid<T>;          \
    template class Tanh<T>;             \
    template class ReLU<T>;             \
    template class LeakyReLU<T>;        \
    template class Softplus<T>;         \
    template class GELU<T>;             \
    template class SiLU<T>;             \
    template class ELU<T>;              \
    template class Softsign<T>;         \
    template class Softmax<T>;          \
    template class LogSoftmax<T>;       \
    template class Identity<T>;
TG_NN_ACTIVATION_INSTANTIATE(float)
TG_NN_ACTIVATION_INSTANTIATE(double)

}  // namespace tg::nn
