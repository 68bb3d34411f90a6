#pragma once
// Convolution layers as PyTorch's torch.nn.Conv1d, Conv2d and ConvTranspose2d: the same
// constructor arguments and defaults, parameter names ("weight", "bias") and shapes, so a
// .npz of PyTorch's state_dict loads; the same initialization (weight and bias
// U(−1/√fan_in, 1/√fan_in), which is what PyTorch's kaiming_uniform_ with a = √5 gives),
// drawn from a tg::nn::Rng. Input NCL / NCHW; the wrong shape is a tg::ShapeError naming
// the layer: "Conv2d(3, 16, k=3) expects input (N, 3, H, W); got (8, 1, 28, 28)".

#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/random.hpp>
#include <tapegrad/ops/conv.hpp>
#include <tapegrad/ops/size2.hpp>

#include <cstddef>

namespace tg::nn {

/// Options shared by the convolution layers (PyTorch's keyword arguments).
struct ConvOptions {
    Size2 stride = 1;          ///< step between windows
    Padding padding = 0;       ///< added on each side (or "same", "valid": Conv1d/Conv2d only)
    Size2 dilation = 1;        ///< spacing of the kernel's taps
    std::size_t groups = 1;    ///< channel groups (in and out must both divide by it)
    bool bias = true;          ///< add a learned bias per output channel
    Size2 output_padding = 0;  ///< ConvTranspose2d only: extra rows/columns at the end
    PaddingMode padding_mode = PaddingMode::zeros;  ///< what is added (Conv1d/Conv2d only)
};

/// y = conv2d(x, weight, bias, stride, padding, dilation, groups): weight
/// (out_channels, in_channels / groups, kH, kW), bias (out_channels).
template <class T = double>
class Conv2d : public Cloneable<Conv2d<T>, T> {
public:
    /// Draws the parameters from `rng`.
    Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Rng& rng,
           ConvOptions options = {});
    /// The same from tg::nn::default_rng().
    Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size,
           ConvOptions options = {});
    /// x of shape (N, in_channels, H, W) -> (N, out_channels, H_out, W_out).
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters of the configured shapes (clone() copies values in).
    void reset() override;
    /// The kernel weight.
    const Tensor<T>& weight() const { return weight_; }
    /// The bias (undefined when the layer has none).
    const Tensor<T>& bias() const { return bias_; }

private:
    void build(Rng* rng);
    std::size_t in_, out_;
    Size2 kernel_;
    ConvOptions options_;
    Tensor<T> weight_, bias_;
};

/// y = conv1d(x, ...): Conv2d's rule on (N, C, L) with a kernel of height 1; weight
/// (out_channels, in_channels / groups, k). The options' widths are used.
template <class T = double>
class Conv1d : public Cloneable<Conv1d<T>, T> {
public:
    /// Draws the parameters from `rng`.
    Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, Rng& rng,
           ConvOptions options = {});
    /// The same from tg::nn::default_rng().
    Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size,
           ConvOptions options = {});
    /// x of shape (N, in_channels, L) -> (N, out_channels, L_out).
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters of the configured shapes.
    void reset() override;
    /// The kernel weight.
    const Tensor<T>& weight() const { return weight_; }
    /// The bias (undefined when the layer has none).
    const Tensor<T>& bias() const { return bias_; }

private:
    void build(Rng* rng);
    std::size_t in_, out_, kernel_;
    ConvOptions options_;
    Tensor<T> weight_, bias_;
};

/// y = conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups,
/// dilation): weight (in_channels, out_channels / groups, kH, kW), as PyTorch's.
template <class T = double>
class ConvTranspose2d : public Cloneable<ConvTranspose2d<T>, T> {
public:
    /// Draws the parameters from `rng`.
    ConvTranspose2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Rng& rng,
                    ConvOptions options = {});
    /// The same from tg::nn::default_rng().
    ConvTranspose2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size,
                    ConvOptions options = {});
    /// x of shape (N, in_channels, H, W) -> (N, out_channels, H_out, W_out).
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters of the configured shapes.
    void reset() override;
    /// The kernel weight.
    const Tensor<T>& weight() const { return weight_; }
    /// The bias (undefined when the layer has none).
    const Tensor<T>& bias() const { return bias_; }

private:
    void build(Rng* rng);
    std::size_t in_, out_;
    Size2 kernel_;
    ConvOptions options_;
    Tensor<T> weight_, bias_;
};

#define TG_NN_CONV_EXTERN(T)         \
    extern template class Conv2d<T>; \
    extern template class Conv1d<T>; \
    extern template class ConvTranspose2d<T>;
TG_NN_CONV_EXTERN(float)
TG_NN_CONV_EXTERN(double)
#undef TG_NN_CONV_EXTERN

}  // namespace tg::nn
