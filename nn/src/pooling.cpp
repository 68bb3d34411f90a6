#include <tapegrad/check.hpp>
#include <tapegrad/nn/pooling.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/pool.hpp>

#include <string>

namespace tg::nn {

namespace {

/// forward(x) of a max pool built with return_indices: PyTorch's layer returns a pair.
void refuse_return_indices(bool return_indices, const std::string& layer) {
    TG_CHECK(!return_indices, ValueError, layer,
             ": forward(x) returns one tensor; call forward_with_indices(x) for the output and "
             "the indices (what PyTorch's return_indices=True layer returns)");
}

/// ", ceil_mode=True" and the like: the arguments that differ from the defaults.
std::string flags(bool return_indices, bool ceil_mode) {
    return std::string(return_indices ? ", return_indices=" + repr(true) : "") +
           (ceil_mode ? ", ceil_mode=" + repr(true) : "");
}

}  // namespace

template <class T>
Tensor<T> MaxPool2d<T>::forward(const Tensor<T>& x) {
    refuse_return_indices(return_indices_, describe());
    return max_pool2d(x, kernel_, stride_, padding_, dilation_, ceil_mode_);
}

template <class T>
std::pair<Tensor<T>, Tensor<std::int64_t>> MaxPool2d<T>::forward_with_indices(const Tensor<T>& x) {
    return max_pool2d_with_indices(x, kernel_, stride_, padding_, dilation_, ceil_mode_);
}

template <class T>
std::string MaxPool2d<T>::describe() const {
    return "MaxPool2d(" + to_string(kernel_) + flags(return_indices_, ceil_mode_) + ")";
}

template <class T>
Tensor<T> MaxPool1d<T>::forward(const Tensor<T>& x) {
    refuse_return_indices(return_indices_, describe());
    return max_pool1d(x, kernel_, stride_, padding_, dilation_, ceil_mode_);
}

template <class T>
std::pair<Tensor<T>, Tensor<std::int64_t>> MaxPool1d<T>::forward_with_indices(const Tensor<T>& x) {
    return max_pool1d_with_indices(x, kernel_, stride_, padding_, dilation_, ceil_mode_);
}

template <class T>
std::string MaxPool1d<T>::describe() const {
    return "MaxPool1d(" + std::to_string(kernel_) + flags(return_indices_, ceil_mode_) + ")";
}

template <class T>
Tensor<T> AvgPool2d<T>::forward(const Tensor<T>& x) {
    return avg_pool2d(x, kernel_, stride_, padding_, ceil_mode_, count_include_pad_,
                      divisor_override_);
}

template <class T>
std::string AvgPool2d<T>::describe() const {
    return "AvgPool2d(" + to_string(kernel_) + flags(false, ceil_mode_) + ")";
}

template <class T>
Tensor<T> AvgPool1d<T>::forward(const Tensor<T>& x) {
    return avg_pool1d(x, kernel_, stride_, padding_, ceil_mode_, count_include_pad_);
}

template <class T>
std::string AvgPool1d<T>::describe() const {
    return "AvgPool1d(" + std::to_string(kernel_) + flags(false, ceil_mode_) + ")";
}

template <class T>
Tensor<T> MaxUnpool2d<T>::forward(const Tensor<T>& x, const Tensor<T>& indices, Size2 output_size) {
    return max_unpool2d(x, indices, kernel_, stride_, padding_, output_size);
}

template <class T>
Tensor<T> MaxUnpool2d<T>::forward(const Tensor<T>& x, const Tensor<std::int64_t>& indices,
                                  Size2 output_size) {
    return max_unpool2d(x, indices, kernel_, stride_, padding_, output_size);
}

template <class T>
std::string MaxUnpool2d<T>::describe() const {
    return "MaxUnpool2d(" + to_string(kernel_) + ")";
}

template <class T>
Tensor<T> MaxUnpool1d<T>::forward(const Tensor<T>& x, const Tensor<T>& indices,
                                  std::size_t output_size) {
    return max_unpool1d(x, indices, kernel_, stride_, padding_, output_size);
}

template <class T>
Tensor<T> MaxUnpool1d<T>::forward(const Tensor<T>& x, const Tensor<std::int64_t>& indices,
                                  std::size_t output_size) {
    return max_unpool1d(x, indices, kernel_, stride_, padding_, output_size);
}

template <class T>
std::string MaxUnpool1d<T>::describe() const {
    return "MaxUnpool1d(" + std::to_string(kernel_) + ")";
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
template class MaxPool1d<float>;
template class MaxPool1d<double>;
template class AvgPool1d<float>;
template class AvgPool1d<double>;
template class MaxUnpool2d<float>;
template class MaxUnpool2d<double>;
template class MaxUnpool1d<float>;
template class MaxUnpool1d<double>;
template class AvgPool2d<float>;
template class AvgPool2d<double>;
template class AdaptiveAvgPool2d<float>;
template class AdaptiveAvgPool2d<double>;
template class Flatten<float>;
template class Flatten<double>;

}  // namespace tg::nn
