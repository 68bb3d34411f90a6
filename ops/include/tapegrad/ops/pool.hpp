#pragma once
// Pooling, as torch.nn.functional names it, on NCL / NCHW tensors, with PyTorch's argument
// names, order and defaults. PyTorch's `return_indices=True` is the op of PyTorch's other
// name, max_pool2d_with_indices (a C++ function returns one type).
//
// Each is made of recorded ops (ops/src/pool.cpp): the windows unrolled into columns
// (im2col), then max or mean over each window, then reshape and permute; so gradients
// of any order follow. max sends the gradient to the first maximal element of a window
// (PyTorch picks one of the tied elements too). Errors name the op, what it expected and
// what it got, and record nothing.

#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/size2.hpp>
#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace tg {

/// The largest value in each kH x kW window (torch.nn.functional.max_pool2d): input
/// (N, C, H, W) -> (N, C, H_out, W_out), H_out = ⌊(H + 2·padding − dilation·(kH − 1) − 1) /
/// stride⌋ + 1 (rounded up with ceil_mode, less a last window that would start in the
/// right padding, as PyTorch). stride {} (0) means the kernel size (PyTorch's None). The
/// padding is −∞ (never the maximum) and at most half the dilated kernel, as in PyTorch.
/// A window holding a NaN gives NaN, and its gradient goes to the window's last NaN
/// (PyTorch's kernel).
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& input, Size2 kernel_size, Size2 stride = {},
                     Size2 padding = 0, Size2 dilation = 1, bool ceil_mode = false);

/// max_pool2d and, second, where each maximum came from (F.max_pool2d_with_indices, or
/// F.max_pool2d(..., return_indices=True)): its index h·W + w in its (H, W) plane, as an
/// int64 index tensor (PyTorch's type; a float tensor before index tensors existed:
/// tg::to_floating<T> gives that); the entry the gradient goes to (the first maximum in
/// row-major order, or the last NaN).
template <class T>
std::pair<Tensor<T>, Tensor<std::int64_t>> max_pool2d_with_indices(
    const Tensor<T>& input, Size2 kernel_size, Size2 stride = {}, Size2 padding = 0,
    Size2 dilation = 1, bool ceil_mode = false);

/// max_pool2d on (N, C, L) (torch.nn.functional.max_pool1d); stride 0 means kernel_size.
template <class T>
Tensor<T> max_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride = 0,
                     std::size_t padding = 0, std::size_t dilation = 1, bool ceil_mode = false);

/// max_pool1d and the position along L of each maximum (F.max_pool1d_with_indices).
template <class T>
std::pair<Tensor<T>, Tensor<std::int64_t>> max_pool1d_with_indices(
    const Tensor<T>& input, std::size_t kernel_size, std::size_t stride = 0,
    std::size_t padding = 0, std::size_t dilation = 1, bool ceil_mode = false);

/// The inverse of max_pool2d where its indices say (torch.nn.functional.max_unpool2d):
/// input and indices (N, C, H, W) -> zeros (N, C, H_out, W_out) with input[n, c, i, j]
/// at the position indices[n, c, i, j] of its plane. H_out = (H − 1)·stride − 2·padding
/// + kH unless output_size ((H_out, W_out); (0, 0) for none) says otherwise, within a
/// stride of that, as in PyTorch. An index listed twice (overlapping windows) gets the
/// sum of its entries (PyTorch keeps one of them, unspecified which; docs/design.md).
/// d/dinput = the gradient at each index.
template <class T>
Tensor<T> max_unpool2d(const Tensor<T>& input, const Tensor<T>& indices, Size2 kernel_size,
                       Size2 stride = {}, Size2 padding = 0, Size2 output_size = {});
/// max_unpool2d with the int64 indices max_pool2d_with_indices returns.
template <class T, class I, detail::if_index_t<I> = 0>
Tensor<T> max_unpool2d(const Tensor<T>& input, const Tensor<I>& indices, Size2 kernel_size,
                       Size2 stride = {}, Size2 padding = 0, Size2 output_size = {});

/// max_unpool2d on (N, C, L) (torch.nn.functional.max_unpool1d); output_size 0 for none.
template <class T>
Tensor<T> max_unpool1d(const Tensor<T>& input, const Tensor<T>& indices, std::size_t kernel_size,
                       std::size_t stride = 0, std::size_t padding = 0,
                       std::size_t output_size = 0);
/// max_unpool1d with the int64 indices max_pool1d_with_indices returns.
template <class T, class I, detail::if_index_t<I> = 0>
Tensor<T> max_unpool1d(const Tensor<T>& input, const Tensor<I>& indices, std::size_t kernel_size,
                       std::size_t stride = 0, std::size_t padding = 0,
                       std::size_t output_size = 0);

/// The mean of each kH x kW window (torch.nn.functional.avg_pool2d): input (N, C, H, W) ->
/// (N, C, H_out, W_out), sizes as max_pool2d's (ceil_mode too). The padding is zeros, at
/// most half the kernel. Each window's sum is divided by divisor_override when given (not
/// 0), else with count_include_pad (PyTorch's default) by its size within the padded
/// input (kH·kW, less what a ceil_mode window has past the padding), else by the number
/// of its entries inside the input; as PyTorch's kernel.
template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& input, Size2 kernel_size, Size2 stride = {},
                     Size2 padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<long> divisor_override = std::nullopt);

/// avg_pool2d on (N, C, L) (torch.nn.functional.avg_pool1d, which has no
/// divisor_override); stride 0 means kernel_size.
template <class T>
Tensor<T> avg_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride = 0,
                     std::size_t padding = 0, bool ceil_mode = false,
                     bool count_include_pad = true);

/// The mean over output_size (H_out, W_out) bins of (N, C, H, W)
/// (torch.nn.functional.adaptive_avg_pool2d): bin i along an axis of size n covers
/// [⌊i·n / n_out⌋, ⌈(i + 1)·n / n_out⌉), as in PyTorch (bins overlap when n_out does not
/// divide n). Output size 1 is the global average pool.
template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& input, Size2 output_size);

}  // namespace tg
