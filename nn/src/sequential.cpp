#include <tapegrad/check.hpp>
#include <tapegrad/nn/sequential.hpp>

namespace tg::nn {

template <class T>
Tensor<T> Sequential<T>::forward(const Tensor<T>& x) {
    Tensor<T> y = x;
    for (const auto& m : *this) y = (*m)(y);  // the call operator: summary() sees each output
    return y;
}

template <class T>
Tensor<T> Sequential<T>::forward_indices(const Tensor<std::int64_t>& indices) {
    TG_CHECK(!this->empty(), ValueError,
             "Sequential: int64 indices need a first module that takes them (an Embedding); "
             "this Sequential is empty");
    auto m = this->begin();
    Tensor<T> y = (**m)(indices);  // the call operator: summary() sees each output
    for (++m; m != this->end(); ++m) y = (**m)(y);
    return y;
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace tg::nn
