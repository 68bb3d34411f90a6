#pragma once
// Pooling and reshaping layers as PyTorch's torch.nn.MaxPool2d, AvgPool2d,
// AdaptiveAvgPool2d and Flatten: the same arguments and defaults (the stride defaults to
// the kernel size), no parameters. Each applies the op of the same name
// (tapegrad/ops/pool.hpp, tapegrad/ops/index.hpp).

#include <tapegrad/nn/module.hpp>
#include <tapegrad/ops/size2.hpp>

namespace tg::nn {

/// max_pool2d over kernel_size windows of an (N, C, H, W) input.
template <class T = double>
class MaxPool2d : public Cloneable<MaxPool2d<T>, T> {
public:
    /// stride {} (the default) means kernel_size, as PyTorch's None.
    explicit MaxPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, Size2 dilation = 1)
        : kernel_(kernel_size), stride_(stride), padding_(padding), dilation_(dilation) {}
    /// The pooled input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    Size2 kernel_, stride_, padding_, dilation_;
};

/// avg_pool2d over kernel_size windows (zeros of the padding counted, PyTorch's default).
template <class T = double>
class AvgPool2d : public Cloneable<AvgPool2d<T>, T> {
public:
    /// stride {} (the default) means kernel_size.
    explicit AvgPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0,
                       bool count_include_pad = true)
        : kernel_(kernel_size),
          stride_(stride),
          padding_(padding),
          count_include_pad_(count_include_pad) {}
    /// The pooled input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    Size2 kernel_, stride_, padding_;
    bool count_include_pad_;
};

/// adaptive_avg_pool2d to output_size: (N, C, H, W) -> (N, C, oH, oW).
template <class T = double>
class AdaptiveAvgPool2d : public Cloneable<AdaptiveAvgPool2d<T>, T> {
public:
    /// The output's (height, width); 1 for a global average.
    explicit AdaptiveAvgPool2d(Size2 output_size) : output_(output_size) {}
    /// The pooled input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    Size2 output_;
};

/// flatten(x, start_dim, end_dim): by default (N, ...) -> (N, product of the rest).
template <class T = double>
class Flatten : public Cloneable<Flatten<T>, T> {
public:
    /// Axes start_dim..end_dim (negative counts from the end) become one.
    explicit Flatten(long start_dim = 1, long end_dim = -1) : start_(start_dim), end_(end_dim) {}
    /// The flattened input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    long start_, end_;
};

#define TG_NN_POOLING_EXTERN(T)                 \
    extern template class MaxPool2d<T>;         \
    extern template class AvgPool2d<T>;         \
    extern template class AdaptiveAvgPool2d<T>; \
    extern template class Flatten<T>;
TG_NN_POOLING_EXTERN(float)
TG_NN_POOLING_EXTERN(double)
#undef TG_NN_POOLING_EXTERN

}  // namespace tg::nn
