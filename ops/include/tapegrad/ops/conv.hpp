#pragma once
// Convolutions, as torch.nn.functional names them, on NCL / NCHW tensors (batch, channels,
// then the spatial axes), with PyTorch's argument names, order and defaults. Like
// PyTorch these are cross-correlations (the kernel is not flipped).
//
// Each is made of recorded ops (ops/src/conv.cpp): the sliding windows of the input
// unrolled into columns (im2col, whose adjoint col2im sums them back), one gemm of the
// weight matrix with the columns per group, reshape and permute. Gradients of any order
// therefore follow from those ops' backwards. Errors name the op, what it expected and
// what it got, and record nothing.

#include <tapegrad/ops/size2.hpp>
#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <string>

namespace tg {

/// A convolution's padding argument as PyTorch's: sizes (`1`, `{2, 1}`: zeros, or the
/// padding mode, on both sides of each axis), or "valid" (none) or "same" (an output as
/// large as the input; stride 1 only; total d·(k − 1) per axis, the extra one of an odd
/// total on the right, as PyTorch). Another string is a tg::ValueError from the op.
struct Padding {
    Size2 size;        ///< the sizes, when `mode` is empty
    std::string mode;  ///< "", "same" or "valid"
    /// The same size on both axes.
    Padding(std::size_t both = 0) : size(both) {}  // NOLINT: implicit as in PyTorch
    /// (height, width).
    Padding(std::size_t height, std::size_t width) : size(height, width) {}
    /// Sizes given as a Size2.
    Padding(Size2 s) : size(s) {}  // NOLINT: implicit as in PyTorch
    /// "same" or "valid" (a literal: a `0` must read as a size, not a null pointer).
    template <std::size_t N>
    Padding(const char (&m)[N]) : mode(m) {}        // NOLINT: padding="same"
    /// "same" or "valid" as a std::string.
    Padding(std::string m) : mode(std::move(m)) {}  // NOLINT: padding=std::string("same")
};

/// What a convolution pads with (PyTorch's padding_mode): zeros; the input mirrored
/// without repeating its edge (reflect: x[1], x[0] | x[0], x[1] ... reads x[2], x[1], x[0]...);
/// the edge repeated (replicate); or the other end of the axis (circular).
enum class PaddingMode { zeros, reflect, replicate, circular };

/// "zeros", "reflect", "replicate" or "circular", as PyTorch spells the mode.
std::string to_string(PaddingMode mode);

/// 2-D convolution (torch.nn.functional.conv2d): input (N, C_in, H, W), weight
/// (C_out, C_in / groups, kH, kW), optional bias (C_out) (an undefined Tensor: none) ->
/// (N, C_out, H_out, W_out) with H_out = ⌊(H + 2·padding − dilation·(kH − 1) − 1) / stride⌋ + 1:
///
///     y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, g·C_in/groups + c,
///                                                          i·s_h − p_h + p·d_h, j·s_w − p_w + q·d_w]
///
/// for o in group g (zero where the index falls in the padding). Both channel counts must
/// be divisible by `groups`. `padding_mode` (torch.nn.Conv2d's argument, which
/// F.conv2d lacks) pads the input first with F.pad's mode, as the PyTorch layer does.
template <class T>
Tensor<T> conv2d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = {},
                 Size2 stride = 1, Padding padding = 0, Size2 dilation = 1, std::size_t groups = 1,
                 PaddingMode padding_mode = PaddingMode::zeros);

/// 1-D convolution (torch.nn.functional.conv1d): input (N, C_in, L), weight
/// (C_out, C_in / groups, k), optional bias (C_out) -> (N, C_out, L_out); conv2d with a
/// height of 1 (a padding's width is used).
template <class T>
Tensor<T> conv1d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = {},
                 std::size_t stride = 1, Padding padding = 0, std::size_t dilation = 1,
                 std::size_t groups = 1, PaddingMode padding_mode = PaddingMode::zeros);

/// 2-D transposed convolution (torch.nn.functional.conv_transpose2d), the adjoint of
/// conv2d with respect to its input: input (N, C_in, H, W), weight
/// (C_in, C_out / groups, kH, kW), optional bias (C_out) -> (N, C_out, H_out, W_out) with
/// H_out = (H − 1)·stride − 2·padding + dilation·(kH − 1) + output_padding + 1. Each input
/// entry adds w times itself into the window it came from; output_padding (smaller than
/// the stride or the dilation) adds rows and columns at the end, as in PyTorch. The
/// argument order is PyTorch's (groups before dilation).
template <class T>
Tensor<T> conv_transpose2d(const Tensor<T>& input, const Tensor<T>& weight,
                           const Tensor<T>& bias = {}, Size2 stride = 1, Size2 padding = 0,
                           Size2 output_padding = 0, std::size_t groups = 1, Size2 dilation = 1);

}  // namespace tg
