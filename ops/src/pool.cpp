// Pooling (ops/include/tapegrad/ops/pool.hpp), made of recorded ops only:
//
//     max_pool2d:  y = channels_first(max over the window axis of im2col(x, pad −∞))
//     avg_pool2d:  y = channels_first(mean over the window axis of im2col(x, pad 0)),
//                  or its sum · (1 / divisor), a constant per window position
//     max_unpool2d: y = scatter_add(0, plane axis, indices, x)
//     adaptive_avg_pool2d:  y = A_h x A_wᵀ per plane, A the (n_out, n) bin-mean matrices
//
// so their backwards are those of im2col (col2im), channels_first (channels_last), max,
// mean, sum, scatter_add (gather), gemm, reshape and permute. max_pool's indices are
// computed beside it from the values, by PyTorch's loop, and record nothing.

#include "im2col.hpp"
#include "max_along.hpp"

#include <tapegrad/check.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/factory.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/pool.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace tg {
namespace {

using detail::sizes_str;
using detail::Windows;

/// The checked windows of a pooling op: stride 0 on an axis is the kernel size (PyTorch's
/// None), and the padding is at most half the dilated kernel, as PyTorch requires (so
/// every window holds an entry of the input).
Windows pool_windows(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                     Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode) {
    const Size2 step(stride.h ? stride.h : kernel.h, stride.w ? stride.w : kernel.w);
    const Windows windows =
        detail::make_windows(op, shape, spatial_dims, kernel, step, padding, dilation, ceil_mode);
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

/// Where each window's maximum is in its (H, W) plane, by PyTorch's loop
/// (DilatedMaxPool2d.cpp): the taps inside the input in row-major order, taking a value
/// greater than the best so far or a NaN; (N, C, H_out, W_out) int64, recording nothing.
template <class T>
Tensor<std::int64_t> max_indices(const Tensor<T>& x, const Windows& w) {
    const T* v = x.value().data();
    Array<std::int64_t> out =
        Array<std::int64_t>::from_shape({w.batch, w.channels, w.h.out, w.w.out});
    std::int64_t* o = out.data();
    const long height = static_cast<long>(w.h.in), width = static_cast<long>(w.w.in);
    for (std::size_t plane = 0; plane < w.batch * w.channels; ++plane, v += height * width)
        for (std::size_t oh = 0; oh < w.h.out; ++oh)
            for (std::size_t ow = 0; ow < w.w.out; ++ow) {
                long best = -1;
                T best_value = -std::numeric_limits<T>::infinity();
                for (std::size_t i = 0; i < w.h.kernel; ++i) {
                    const long ih = static_cast<long>(oh * w.h.stride + i * w.h.dilation) -
                                    static_cast<long>(w.h.padding);
                    if (ih < 0 || ih >= height) continue;
                    for (std::size_t j = 0; j < w.w.kernel; ++j) {
                        const long iw = static_cast<long>(ow * w.w.stride + j * w.w.dilation) -
                                        static_cast<long>(w.w.padding);
                        if (iw < 0 || iw >= width) continue;
                        const T value = v[ih * width + iw];
                        if (best < 0) best = ih * width + iw;  // PyTorch's start: the first tap
                        if (value > best_value || std::isnan(value)) {
                            best_value = value;
                            best = ih * width + iw;
                        }
                    }
                }
                *o++ = best;
            }
    return Tensor<std::int64_t>(std::move(out));
}

/// What PyTorch divides window position o's sum by along one axis, as a factor of the
/// two axes' product: its taps within the padded input (count_include_pad), or within
/// the input. (A ceil_mode window past the padding counts only up to it.)
std::size_t window_size(const detail::WindowAxis& a, std::size_t o, bool count_include_pad) {
    const long start = static_cast<long>(o * a.stride) - static_cast<long>(a.padding);
    const long end =
        std::min(start + static_cast<long>(a.kernel), static_cast<long>(a.in + a.padding));
    if (count_include_pad) return static_cast<std::size_t>(end - start);
    return static_cast<std::size_t>(std::min(end, static_cast<long>(a.in)) - std::max(start, 0L));
}

/// avg_pool2d on checked windows over x (N, C, H, W).
template <class T>
Tensor<T> avg_pool(const Tensor<T>& x, const Windows& w, bool count_include_pad,
                   std::optional<long> divisor_override) {
    Array<T> scale = Array<T>::from_shape({w.h.out, w.w.out});
    bool plain_mean = true;  // every window divided by kh·kw
    for (std::size_t oh = 0; oh < w.h.out; ++oh)
        for (std::size_t ow = 0; ow < w.w.out; ++ow) {
            const long divisor = divisor_override
                                     ? *divisor_override
                                     : static_cast<long>(window_size(w.h, oh, count_include_pad) *
                                                         window_size(w.w, ow, count_include_pad));
            plain_mean = plain_mean && divisor == static_cast<long>(w.h.kernel * w.w.kernel);
            scale(oh, ow) = T(1) / static_cast<T>(divisor);
        }
    const Tensor<T> entries = window_entries(x, w, T(0));
    if (plain_mean) return detail::channels_first(mean(entries, {1}), w.batch, w.h.out, w.w.out);
    return detail::channels_first(sum(entries, {1}), w.batch, w.h.out, w.w.out) *
           Tensor<T>(std::move(scale));
}

/// max_unpool1d / 2d: `spatial_dims` trailing axes of input and indices; `kernel`,
/// `stride`, `padding`, `output_size` on the width (and height) axes. Indices of type I:
/// int64, or whole numbers in T.
template <class T, class I>
Tensor<T> max_unpool(const char* op, std::size_t spatial_dims, const Tensor<T>& input,
                     const Tensor<I>& indices, Size2 kernel, Size2 stride, Size2 padding,
                     Size2 output_size) {
    const Shape s = input.shape();
    const Size2 step(stride.h ? stride.h : kernel.h, stride.w ? stride.w : kernel.w);
    detail::check_window_args(op, s, spatial_dims, kernel, step, 1);
    TG_CHECK(indices.shape() == s, ShapeError, op, ": indices of shape ", indices.shape(),
             " for an input of shape ", s, "; pass the indices max_pool gave with it");
    // PyTorch's default (H − 1)·s − 2p + k; an output_size within a stride of it.
    const auto default_size = [](std::size_t in, std::size_t k, std::size_t st, std::size_t p) {
        return (static_cast<long>(in) - 1) * static_cast<long>(st) - 2 * static_cast<long>(p) +
               static_cast<long>(k);
    };
    const std::size_t h_in = spatial_dims == 2 ? s[2] : 1;
    const long dh = default_size(h_in, kernel.h, step.h, padding.h);
    const long dw = default_size(s.back(), kernel.w, step.w, padding.w);
    long ho = dh, wo = dw;
    if (output_size.h || output_size.w) {
        ho = spatial_dims == 2 ? static_cast<long>(output_size.h) : 1;
        wo = static_cast<long>(output_size.w);
        const auto within = [](long want, long dflt, std::size_t st) {
            return dflt - static_cast<long>(st) < want && want < dflt + static_cast<long>(st);
        };
        TG_CHECK((spatial_dims == 1 || within(ho, dh, step.h)) && within(wo, dw, step.w),
                 ValueError, op, ": output_size ", sizes_str(output_size, spatial_dims),
                 " must lie within a stride of the default ",
                 sizes_str(Size2(static_cast<std::size_t>(std::max(dh, 0L)),
                                 static_cast<std::size_t>(std::max(dw, 0L))),
                           spatial_dims),
                 " (exclusive), as in PyTorch");
    }
    TG_CHECK(ho >= 1 && wo >= 1, ShapeError, op, ": input of shape ", s,
             " gives an empty output with kernel ", sizes_str(kernel, spatial_dims), ", stride ",
             sizes_str(step, spatial_dims), " and padding ", sizes_str(padding, spatial_dims));
    const std::size_t plane = static_cast<std::size_t>(ho * wo);
    for (const I i : indices.value())
        if (!(i >= 0 && i < static_cast<I>(plane) &&
              (std::is_integral_v<I> || i == std::floor(i)))) {
            std::ostringstream shown;  // the shortest form: "16", "2.5", "nan"
            shown << i;
            throw ValueError(detail::message(op, ": index ", shown.str(),
                                             " is not a position in an output plane of ", plane,
                                             " entries; pass the indices max_pool gave"));
        }
    const std::size_t n = s[0], c = s[1], in_plane = input.size() / std::max<std::size_t>(n * c, 1);
    Tensor<T> y = scatter_add(zeros<T>({n, c, plane}), 2, reshape(indices, {n, c, in_plane}),
                              reshape(input, {n, c, in_plane}));
    return spatial_dims == 2
               ? reshape(y, {n, c, static_cast<std::size_t>(ho), static_cast<std::size_t>(wo)})
               : y;
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
                     Size2 dilation, bool ceil_mode) {
    return max_pool(input, pool_windows("max_pool2d", input.shape(), 2, kernel_size, stride,
                                        padding, dilation, ceil_mode));
}

template <class T>
std::pair<Tensor<T>, Tensor<std::int64_t>> max_pool2d_with_indices(const Tensor<T>& input,
                                                                   Size2 kernel_size, Size2 stride,
                                                                   Size2 padding, Size2 dilation,
                                                                   bool ceil_mode) {
    const Windows w = pool_windows("max_pool2d_with_indices", input.shape(), 2, kernel_size, stride,
                                   padding, dilation, ceil_mode);
    return {max_pool(input, w), max_indices(input, w)};
}

template <class T>
Tensor<T> max_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride,
                     std::size_t padding, std::size_t dilation, bool ceil_mode) {
    const Windows w = pool_windows("max_pool1d", input.shape(), 1, {1, kernel_size}, {1, stride},
                                   {0, padding}, {1, dilation}, ceil_mode);
    return squeeze(max_pool(unsqueeze(input, 2), w), 2);
}

template <class T>
std::pair<Tensor<T>, Tensor<std::int64_t>> max_pool1d_with_indices(
    const Tensor<T>& input, std::size_t kernel_size, std::size_t stride, std::size_t padding,
    std::size_t dilation, bool ceil_mode) {
    const Windows w = pool_windows("max_pool1d_with_indices", input.shape(), 1, {1, kernel_size},
                                   {1, stride}, {0, padding}, {1, dilation}, ceil_mode);
    const Tensor<T> x = unsqueeze(input, 2);
    return {squeeze(max_pool(x, w), 2), squeeze(max_indices(x, w), 2)};
}

template <class T>
Tensor<T> max_unpool2d(const Tensor<T>& input, const Tensor<T>& indices, Size2 kernel_size,
                       Size2 stride, Size2 padding, Size2 output_size) {
    return max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size);
}

template <class T, class I, detail::if_index_t<I>>
Tensor<T> max_unpool2d(const Tensor<T>& input, const Tensor<I>& indices, Size2 kernel_size,
                       Size2 stride, Size2 padding, Size2 output_size) {
    return max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size);
}

template <class T>
Tensor<T> max_unpool1d(const Tensor<T>& input, const Tensor<T>& indices, std::size_t kernel_size,
                       std::size_t stride, std::size_t padding, std::size_t output_size) {
    return max_unpool("max_unpool1d", 1, input, indices, {1, kernel_size}, {1, stride},
                      {0, padding}, {0, output_size});
}

template <class T, class I, detail::if_index_t<I>>
Tensor<T> max_unpool1d(const Tensor<T>& input, const Tensor<I>& indices, std::size_t kernel_size,
                       std::size_t stride, std::size_t padding, std::size_t output_size) {
    return max_unpool("max_unpool1d", 1, input, indices, {1, kernel_size}, {1, stride},
                      {0, padding}, {0, output_size});
}

template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& input, Size2 kernel_size, Size2 stride, Size2 padding,
                     bool ceil_mode, bool count_include_pad, std::optional<long> divisor_override) {
    TG_CHECK(!divisor_override || *divisor_override != 0, ValueError,
             "avg_pool2d: divisor_override must not be 0; pass std::nullopt for none");
    return avg_pool(
        input,
        pool_windows("avg_pool2d", input.shape(), 2, kernel_size, stride, padding, 1, ceil_mode),
        count_include_pad, divisor_override);
}

template <class T>
Tensor<T> avg_pool1d(const Tensor<T>& input, std::size_t kernel_size, std::size_t stride,
                     std::size_t padding, bool ceil_mode, bool count_include_pad) {
    const Windows w = pool_windows("avg_pool1d", input.shape(), 1, {1, kernel_size}, {1, stride},
                                   {0, padding}, 1, ceil_mode);
    return squeeze(avg_pool(unsqueeze(input, 2), w, count_include_pad, std::nullopt), 2);
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
    template Tensor<T> max_pool2d(const Tensor<T>&, Size2, Size2, Size2, Size2, bool);            \
    template std::pair<Tensor<T>, Tensor<std::int64_t>> max_pool2d_with_indices(                  \
        const Tensor<T>&, Size2, Size2, Size2, Size2, bool);                                      \
    template Tensor<T> max_pool1d(const Tensor<T>&, std::size_t, std::size_t, std::size_t,        \
                                  std::size_t, bool);                                             \
    template std::pair<Tensor<T>, Tensor<std::int64_t>> max_pool1d_with_indices(                  \
        const Tensor<T>&, std::size_t, std::size_t, std::size_t, std::size_t, bool);              \
    template Tensor<T> max_unpool2d(const Tensor<T>&, const Tensor<T>&, Size2, Size2, Size2,      \
                                    Size2);                                                       \
    template Tensor<T> max_unpool1d(const Tensor<T>&, const Tensor<T>&, std::size_t, std::size_t, \
                                    std::size_t, std::size_t);                                    \
    template Tensor<T> max_unpool2d<T, std::int64_t>(                                             \
        const Tensor<T>&, const Tensor<std::int64_t>&, Size2, Size2, Size2, Size2);               \
    template Tensor<T> max_unpool1d<T, std::int64_t>(const Tensor<T>&,                            \
                                                     const Tensor<std::int64_t>&, std::size_t,    \
                                                     std::size_t, std::size_t, std::size_t);      \
    template Tensor<T> avg_pool2d(const Tensor<T>&, Size2, Size2, Size2, bool, bool,              \
                                  std::optional<long>);                                           \
    template Tensor<T> avg_pool1d(const Tensor<T>&, std::size_t, std::size_t, std::size_t, bool,  \
                                  bool);                                                          \
    template Tensor<T> adaptive_avg_pool2d(const Tensor<T>&, Size2);
TG_POOL_INSTANTIATE(float)
TG_POOL_INSTANTIATE(double)

}  // namespace tg
