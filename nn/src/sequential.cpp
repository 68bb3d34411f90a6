#include <tapegrad/nn/sequential.hpp>

namespace tg::nn {

template <class T>
Tensor<T> Sequential<T>::forward(const Tensor<T>& x) {
    Tensor<T> y = x;
    for (const auto& m : *this) y = (*m)(y);  // the call operator: summary() sees each output
    return y;
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace tg::nn
