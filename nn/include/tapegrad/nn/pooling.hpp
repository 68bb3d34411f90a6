#pragma once
// Pooling and reshaping layers as PyTorch's torch.nn.MaxPool1d, MaxPool2d, AvgPool1d,
// AvgPool2d, MaxUnpool1d, MaxUnpool2d, AdaptiveAvgPool2d and Flatten: the same arguments,
// order and defaults (the stride defaults to the kernel size), no parameters. Each applies
// the op of the same name (tapegrad/ops/pool.hpp, tapegrad/ops/index.hpp). A max pool's
// forward returns one tensor: forward_with_indices(x) gives (output, indices), what
// PyTorch's return_indices=True layer returns.

#include <tapegrad/nn/module.hpp>
#include <tapegrad/ops/size2.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace tg::nn {

/// max_pool2d over kernel_size windows of an (N, C, H, W) input.
template <class T = double>
class MaxPool2d : public Cloneable<MaxPool2d<T>, T> {
public:
    /// stride {} (the default) means kernel_size, as PyTorch's None. With return_indices,
    /// forward(x) is a tg::ValueError pointing to forward_with_indices(x).
    explicit MaxPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, Size2 dilation = 1,
                       bool return_indices = false, bool ceil_mode = false)
        : kernel_(kernel_size),
          stride_(stride),
          padding_(padding),
          dilation_(dilation),
          return_indices_(return_indices),
          ceil_mode_(ceil_mode) {}
    /// The pooled input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The pooled input and where each maximum came from (max_pool2d_with_indices).
    std::pair<Tensor<T>, Tensor<std::int64_t>> forward_with_indices(const Tensor<T>& x);
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    Size2 kernel_, stride_, padding_, dilation_;
    bool return_indices_, ceil_mode_;
};

/// max_pool1d over kernel_size windows of an (N, C, L) input.
template <class T = double>
class MaxPool1d : public Cloneable<MaxPool1d<T>, T> {
public:
    /// stride 0 (the default) means kernel_size; return_indices as MaxPool2d's.
    explicit MaxPool1d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0,
                       std::size_t dilation = 1, bool return_indices = false,
                       bool ceil_mode = false)
        : kernel_(kernel_size),
          stride_(stride),
          padding_(padding),
          dilation_(dilation),
          return_indices_(return_indices),
          ceil_mode_(ceil_mode) {}
    /// The pooled input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The pooled input and where each maximum came from (max_pool1d_with_indices).
    std::pair<Tensor<T>, Tensor<std::int64_t>> forward_with_indices(const Tensor<T>& x);
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    std::size_t kernel_, stride_, padding_, dilation_;
    bool return_indices_, ceil_mode_;
};

/// avg_pool2d over kernel_size windows (zeros of the padding counted, PyTorch's default).
template <class T = double>
class AvgPool2d : public Cloneable<AvgPool2d<T>, T> {
public:
    /// stride {} (the default) means kernel_size; divisor_override std::nullopt is None.
    explicit AvgPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0,
                       bool ceil_mode = false, bool count_include_pad = true,
                       std::optional<long> divisor_override = std::nullopt)
        : kernel_(kernel_size),
          stride_(stride),
          padding_(padding),
          ceil_mode_(ceil_mode),
          count_include_pad_(count_include_pad),
          divisor_override_(divisor_override) {}
    /// The pooled input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    Size2 kernel_, stride_, padding_;
    bool ceil_mode_, count_include_pad_;
    std::optional<long> divisor_override_;
};

/// avg_pool1d over kernel_size windows of an (N, C, L) input.
template <class T = double>
class AvgPool1d : public Cloneable<AvgPool1d<T>, T> {
public:
    /// stride 0 (the default) means kernel_size.
    explicit AvgPool1d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0,
                       bool ceil_mode = false, bool count_include_pad = true)
        : kernel_(kernel_size),
          stride_(stride),
          padding_(padding),
          ceil_mode_(ceil_mode),
          count_include_pad_(count_include_pad) {}
    /// The pooled input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    std::size_t kernel_, stride_, padding_;
    bool ceil_mode_, count_include_pad_;
};

/// max_unpool2d: a MaxPool2d's output and indices back to (N, C, H_out, W_out).
template <class T = double>
class MaxUnpool2d : public Cloneable<MaxUnpool2d<T>, T> {
public:
    /// stride {} (the default) means kernel_size.
    explicit MaxUnpool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0)
        : kernel_(kernel_size), stride_(stride), padding_(padding) {}
    /// max_unpool2d(x, indices, ...); output_size (0, 0) for the default.
    Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& indices, Size2 output_size = {});
    /// forward(x, indices, output_size).
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<T>& indices, Size2 output_size = {}) {
        return forward(x, indices, output_size);
    }
    /// max_unpool2d with the int64 indices forward_with_indices returns.
    Tensor<T> forward(const Tensor<T>& x, const Tensor<std::int64_t>& indices,
                      Size2 output_size = {});
    /// forward(x, indices, output_size) with int64 indices.
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<std::int64_t>& indices,
                         Size2 output_size = {}) {
        return forward(x, indices, output_size);
    }
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    Size2 kernel_, stride_, padding_;
};

/// max_unpool1d: a MaxPool1d's output and indices back to (N, C, L_out).
template <class T = double>
class MaxUnpool1d : public Cloneable<MaxUnpool1d<T>, T> {
public:
    /// stride 0 (the default) means kernel_size.
    explicit MaxUnpool1d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0)
        : kernel_(kernel_size), stride_(stride), padding_(padding) {}
    /// max_unpool1d(x, indices, ...); output_size 0 for the default.
    Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& indices, std::size_t output_size = 0);
    /// forward(x, indices, output_size).
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<T>& indices,
                         std::size_t output_size = 0) {
        return forward(x, indices, output_size);
    }
    /// max_unpool1d with the int64 indices forward_with_indices returns.
    Tensor<T> forward(const Tensor<T>& x, const Tensor<std::int64_t>& indices,
                      std::size_t output_size = 0);
    /// forward(x, indices, output_size) with int64 indices.
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<std::int64_t>& indices,
                         std::size_t output_size = 0) {
        return forward(x, indices, output_size);
    }
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    std::size_t kernel_, stride_, padding_;
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
    extern template class MaxPool1d<T>;         \
    extern template class AvgPool1d<T>;         \
    extern template class MaxUnpool2d<T>;       \
    extern template class MaxUnpool1d<T>;       \
    extern template class AvgPool2d<T>;         \
    extern template class AdaptiveAvgPool2d<T>; \
    extern template class Flatten<T>;
TG_NN_POOLING_EXTERN(float)
TG_NN_POOLING_EXTERN(double)
#undef TG_NN_POOLING_EXTERN

}  // namespace tg::nn
