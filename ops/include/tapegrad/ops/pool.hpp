#pragma once
// Pooling, as torch.nn.functional names it, on NCL / NCHW tensors, with PyTorch's argument
// names, order and defaults (ceil_mode, return_indices and divisor_override are not
// offered: the output size is always rounded down).
//
// Each is made of recorded ops (ops/src/pool.cpp): the windows unrolled into columns
// (im2col), then max or mean over each window, then reshape and permute; so gradients
// of any order follow. max sends the gradient to the first maximal element of a window
// (PyTorch picks one of the tied elements too). Errors name the op, what it expected and
// what it got, and record nothing.

#include <tapegrad/ops/size2.hpp>
#include <tapegrad/tensor.hpp>

#include <cstddef>

namespace tg {

/// The largest value in each kH x kW window (torch.nn.functional.max_pool2d): input
/// (N, C, H, W) -> (N, C, H_out, W_out), H_out = ⌊(H + 2·padding − dilation·(kH − 1) − 1) /
/// stride⌋ + 1. stride {} (0) means the kernel size (PyTorch's None). The padding is −∞
/// (never the maximum) and at most half the dilated kernel, as in PyTorch. A window holding
/// a NaN gives NaN, and its gradient goes to the window's last NaN (PyTorch's kernel).
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& input, Size2 kernel_size, Size2 stride = {},
                     Size2 padding = 0, Size2 dilation = 1);

/// max_pool2d on (N, C, L) (torch.nn.functional.max_pool1d); stride 0 means kernel_size.
template <class T>
Tensor<T> max_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride = 0,
                     std::size_t padding = 0, std::size_t dilation = 1);

/// The mean of each kH x kW window (torch.nn.functional.avg_pool2d): input (N, C, H, W) ->
/// (N, C, H_out, W_out), sizes as max_pool2d's. The padding is zeros, at most half the
/// kernel. With count_include_pad (PyTorch's default) every window is divided by kH·kW;
/// without, by the number of its entries inside the input.
template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& input, Size2 kernel_size, Size2 stride = {},
                     Size2 padding = 0, bool count_include_pad = true);

/// avg_pool2d on (N, C, L) (torch.nn.functional.avg_pool1d); stride 0 means kernel_size.
template <class T>
Tensor<T> avg_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride = 0,
                     std::size_t padding = 0, bool count_include_pad = true);

/// The mean over output_size (H_out, W_out) bins of (N, C, H, W)
/// (torch.nn.functional.adaptive_avg_pool2d): bin i along an axis of size n covers
/// [⌊i·n / n_out⌋, ⌈(i + 1)·n / n_out⌉), as in PyTorch (bins overlap when n_out does not
/// divide n). Output size 1 is the global average pool.
template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& input, Size2 output_size);

}  // namespace tg
