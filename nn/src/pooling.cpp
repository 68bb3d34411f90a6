#include <tapegrad/nn/pooling.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/pool.hpp>

#include <string>

namespace tg::nn {

template <class T>
Tensor<T> MaxPool2d<T>::forward(const Tensor<T>& x) {
    return max_pool2d(x, kernel_, stride_, padding_, dilation_);
}

template <class T>
std::string MaxPool2d<T>::describe() const {
    return "MaxPool2d(" + to_string(kernel_) + ")";
}

template <class T>
Tensor<T> AvgPool2d<T>::forward(const Tensor<T>& x) {
    return avg_pool2d(x, kernel_, stride_, padding_, count_include_pad_);
}

template <class T>
std::string AvgPool2d<T>::describe() const {
    return "AvgPool2d(" + to_string(kernel_) + ")";
}

template <class T>
Tensor<T> AdaptiveAvgPool2d<T>::forward(const Tensor<T>& x) {
    return adaptive_avg_pool2d(x, output_);
}

template <class T>
std::string AdaptiveAvgPool2d<T>::describe() const {
    return "AdaptiveAvgPool2d(" + to_string(output_) + ")";
}

template <class T>
Tensor<T> Flatten<T>::forward(const Tensor<T>& x) {
    return flatten(x, start_, end_);
}

template <class T>
std::string Flatten<T>::describe() const {
    return "Flatten(" + std::to_string(start_) + ", " + std::to_string(end_) + ")";
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;
template class AvgPool2d<float>;
template class AvgPool2d<double>;
template class AdaptiveAvgPool2d<float>;
template class AdaptiveAvgPool2d<double>;
template class Flatten<float>;
template class Flatten<double>;

}  // namespace tg::nn
