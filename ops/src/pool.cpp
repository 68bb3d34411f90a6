// Pooling (ops/include/tapegrad/ops/pool.hpp), made of recorded ops only:
//
//     max_pool2d:  y = channels_first(max over the window axis of im2col(x, pad −∞))
//     avg_pool2d:  y = channels_first(mean over the window axis of im2col(x, pad 0))
//     adaptive_avg_pool2d:  y = A_h x A_wᵀ per plane, A the (n_out, n) bin-mean matrices
//
// so their backwards are those of im2col (col2im), channels_first (channels_last), max,
// mean, gemm, reshape and permute.

#include "im2col.hpp"
#include "max_along.hpp"

#include <tapegrad/check.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/pool.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>

#include <limits>
#include <string>

namespace tg {
namespace {

using detail::sizes_str;
using detail::Windows;

/// The checked windows of a pooling op: stride 0 on an axis is the kernel size (PyTorch's
/// None), and the padding is at most half the dilated kernel, as PyTorch requires (so
/// every window holds an entry of the input).
Windows pool_windows(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                     Size2 stride, Size2 padding, Size2 dilation) {
    const Size2 step(stride.h ? stride.h : kernel.h, stride.w ? stride.w : kernel.w);
    const Windows windows =
        detail::make_windows(op, shape, spatial_dims, kernel, step, padding, dilation);
    const Size2 half((dilation.h * (kernel.h - 1) + 1) / 2, (dilation.w * (kernel.w - 1) + 1) / 2);
    TG_CHECK(padding.h <= half.h && padding.w <= half.w, ValueError, op, ": padding ",
             sizes_str(padding, spatial_dims), " must be at most half the (dilated) kernel size, ",
             sizes_str(half, spatial_dims));
    return windows;
}

/// Each window's entries along axis 1: im2col(x) as (C, kh·kw, N·Ho·Wo).
template <class T>
Tensor<T> window_entries(const Tensor<T>& x, const Windows& w, T pad_value) {
    return detail::im2col(x, w, pad_value, true);
}

/// max_pool2d on checked windows over x (N, C, H, W).
template <class T>
Tensor<T> max_pool(const Tensor<T>& x, const Windows& w) {
    // −∞ padding as the lowest finite value: never a window's maximum (each window holds
    // an input entry), and finite for anomaly mode's check of im2col's output. A window
    // with NaNs gives NaN, its gradient going to the last NaN in the window's row-major
    // order, as PyTorch's kernel (`val > max || isnan(val)`).
    const Tensor<T> m = detail::max_along(window_entries(x, w, std::numeric_limits<T>::lowest()), 1,
                                          false, detail::NanPick::last);
    return detail::channels_first(m, w.batch, w.h.out, w.w.out);
}

/// Taps of window position o that read inside an axis (stride s, padding p, dilation 1).
std::size_t taps_inside(const detail::WindowAxis& a, std::size_t o) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < a.kernel; ++i) {
        const std::size_t at = o * a.stride + i;  // the padded input's index
        count += at >= a.padding && at < a.padding + a.in;
    }
    return count;
}

/// avg_pool2d on checked windows over x (N, C, H, W).
template <class T>
Tensor<T> avg_pool(const Tensor<T>& x, const Windows& w, bool count_include_pad) {
    const Tensor<T> y =
        detail::channels_first(mean(window_entries(x, w, T(0)), {1}), w.batch, w.h.out, w.w.out);
    if (count_include_pad || (w.h.padding == 0 && w.w.padding == 0)) return y;
    // Divided by the entries inside instead: mean · kh·kw / inside, a constant per position.
    Array<T> factor = Array<T>::from_shape({w.h.out, w.w.out});
    for (std::size_t oh = 0; oh < w.h.out; ++oh)
        for (std::size_t ow = 0; ow < w.w.out; ++ow)
            factor(oh, ow) = static_cast<T>(w.h.kernel * w.w.kernel) /
                             static_cast<T>(taps_inside(w.h, oh) * taps_inside(w.w, ow));
    return y * Tensor<T>(std::move(factor));
}

/// The (n_out, n) matrix whose row i is the mean of bin i: [⌊i·n / n_out⌋, ⌈(i + 1)·n / n_out⌉).
template <class T>
Tensor<T> bin_means(std::size_t n, std::size_t n_out) {
    Array<T> a = Array<T>::from_shape({n_out, n});
    std::fill(a.begin(), a.end(), T(0));
    for (std::size_t i = 0; i < n_out; ++i) {
        const std::size_t start = i * n / n_out, end = ((i + 1) * n + n_out - 1) / n_out;
        for (std::size_t k = start; k < end; ++k) a(i, k) = T(1) / static_cast<T>(end - start);
    }
    return Tensor<T>(std::move(a));
}

}  // namespace

template <class T>
Tensor<T> max_pool2d(const Tensor<T>& input, Size2 kernel_size, Size2 stride, Size2 padding,
                     Size2 dilation) {
    return max_pool(input, pool_windows("max_pool2d", input.shape(), 2, kernel_size, stride,
                                        padding, dilation));
}

template <class T>
Tensor<T> max_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride,
                     std::size_t padding, std::size_t dilation) {
    const Windows w = pool_windows("max_pool1d", input.shape(), 1, {1, kernel_size}, {1, stride},
                                   {0, padding}, {1, dilation});
    return squeeze(max_pool(unsqueeze(input, 2), w), 2);
}

template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& input, Size2 kernel_size, Size2 stride, Size2 padding,
                     bool count_include_pad) {
    return avg_pool(input,
                    pool_windows("avg_pool2d", input.shape(), 2, kernel_size, stride, padding, 1),
                    count_include_pad);
}

template <class T>
Tensor<T> avg_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride,
                     std::size_t padding, bool count_include_pad) {
    const Windows w = pool_windows("avg_pool1d", input.shape(), 1, {1, kernel_size}, {1, stride},
                                   {0, padding}, 1);
    return squeeze(avg_pool(unsqueeze(input, 2), w, count_include_pad), 2);
}

template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& input, Size2 output_size) {
    const char* op = "adaptive_avg_pool2d";
    const Shape s = input.shape();
    detail::check_window_args(op, s, 2, 1, 1, 1);
    TG_CHECK(output_size.h > 0 && output_size.w > 0, ValueError, op,
             ": output size must be at least 1, got ", sizes_str(output_size, 2));
    TG_CHECK(s[2] > 0 && s[3] > 0, ShapeError, op, ": input of shape ", s,
             " has no entries to average on a spatial axis");
    if (output_size.h == 1 && output_size.w == 1) return mean(input, {2, 3}, true);
    const std::size_t planes = s[0] * s[1], h = s[2], w = s[3];
    const std::size_t ho = output_size.h, wo = output_size.w;
    // Each (H, W) plane X becomes A_h X A_wᵀ: the widths first, then the heights.
    Tensor<T> t = gemm(reshape(input, {planes * h, w}), bin_means<T>(w, wo), false, true);
    t = permute(reshape(t, {planes, h, wo}), {0, 2, 1});  // (planes, W_out, H)
    t = gemm(reshape(t, {planes * wo, h}), bin_means<T>(h, ho), false, true);
    return permute(reshape(t, {s[0], s[1], wo, ho}), {0, 1, 3, 2});
}

#define TG_POOL_INSTANTIATE(T)                                                                    \
    template Tensor<T> max_pool2d(const Tensor<T>&, Size2, Size2, Size2, Size2);                  \
    template Tensor<T> max_pool1d(const Tensor<T>&, std::size_t, std::size_t, std::size_t,        \
                                  std::size_t);                                                   \
    template Tensor<T> avg_pool2d(const Tensor<T>&, Size2, Size2, Size2, bool);                   \
    template Tensor<T> avg_pool1d(const Tensor<T>&, std::size_t, std::size_t, std::size_t, bool); \
    template Tensor<T> adaptive_avg_pool2d(const Tensor<T>&, Size2);
TG_POOL_INSTANTIATE(float)
TG_POOL_INSTANTIATE(double)

}  // namespace tg
