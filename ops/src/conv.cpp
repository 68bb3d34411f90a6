// Convolutions (ops/include/tapegrad/ops/conv.hpp), made of recorded ops only:
//
//     conv2d:            y = channels_first(W (C_out, C_in/G·kh·kw) @ im2col(x))   per group
//     conv_transpose2d:  y = col2im(Wᵀ (C_out/G·kh·kw, C_in/G) @ channels_last(x))  per group
//
// conv_transpose2d is the adjoint of conv2d in x; their backwards are those of im2col /
// col2im and channels_first / channels_last (each pair the other's adjoint), gemm and
// reshape, so no formula is written twice and second derivatives work. One GEMM covers
// the whole batch (benchmarks/README.md, "Convolution", measures this against a
// hand-written im2col + sgemm).
//
// Padding other than the same zeros on both sides of an axis (padding="same" with an odd
// total, or a padding_mode) pads the input first, as PyTorch's layer does: zeros by pad,
// the other modes by index_select of the entries each padded position reads, whose
// backward adds the gradient back into those entries (PyTorch's reflection_pad backward).

#include "im2col.hpp"

#include <tapegrad/check.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/conv.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/shape.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace tg {
namespace {

using detail::sizes_str;
using detail::Windows;

/// op(a_g) @ b_g for the `groups` equal blocks of rows of a and of b, stacked along rows:
/// a grouped convolution's product, one gemm per group.
template <class T>
Tensor<T> grouped_gemm(const Tensor<T>& a, const Tensor<T>& b, std::size_t groups,
                       bool transpose_a) {
    if (groups == 1) return gemm(a, b, transpose_a, false);
    const std::size_t a_rows = a.shape()[0] / groups, b_rows = b.shape()[0] / groups;
    std::vector<Tensor<T>> blocks;
    for (std::size_t g = 0; g < groups; ++g)
        blocks.push_back(gemm(narrow(a, 0, g * a_rows, a_rows), narrow(b, 0, g * b_rows, b_rows),
                              transpose_a, false));
    return concat(blocks, 0);
}

/// The weight's kernel: its last axes ((kH, kW), or (1, k) for a 1-D op).
Size2 kernel_of(const Shape& weight, std::size_t spatial_dims) {
    return spatial_dims == 2 ? Size2(weight[2], weight[3]) : Size2(1, weight[2]);
}

/// The checks conv and conv_transpose share: the weight's rank, groups at least 1, the
/// input's channels divisible by groups. `layout` names the weight's axes for the message.
void check_channels(const char* op, const Shape& input, const Shape& weight,
                    std::size_t spatial_dims, std::size_t groups, const char* layout) {
    TG_CHECK(weight.size() == spatial_dims + 2, ShapeError, op, ": expected a ", spatial_dims + 2,
             "-D weight ", layout, ", got shape ", weight);
    TG_CHECK(groups > 0, ValueError, op, ": groups must be at least 1, got 0");
    TG_CHECK(input.size() != spatial_dims + 2 || input[1] % groups == 0, ShapeError, op,
             ": the input's ", input[1], " channels (input shape ", input,
             ") are not divisible by groups ", groups);
}

/// The bias, if any: of shape (out_channels).
template <class T>
void check_bias(const char* op, const Tensor<T>& bias, std::size_t out_channels) {
    TG_CHECK(!bias.defined() || bias.shape() == Shape{out_channels}, ShapeError, op,
             ": expected a bias of shape (", out_channels, "), got shape ", bias.shape());
}

/// The checked windows of conv1d / conv2d over `input` with `weight`.
template <class T>
Windows conv_windows(const char* op, std::size_t spatial_dims, const Shape& input,
                     const Shape& weight, const Tensor<T>& bias, Size2 stride, Size2 padding,
                     Size2 dilation, std::size_t groups) {
    const char* layout =
        spatial_dims == 2 ? "(C_out, C_in / groups, kH, kW)" : "(C_out, C_in / groups, k)";
    check_channels(op, input, weight, spatial_dims, groups, layout);
    const Windows windows = detail::make_windows(
        op, input, spatial_dims, kernel_of(weight, spatial_dims), stride, padding, dilation);
    TG_CHECK(weight[0] % groups == 0, ShapeError, op, ": the weight's ", weight[0],
             " output channels (weight shape ", weight, ") are not divisible by groups ", groups);
    TG_CHECK(weight[1] * groups == input[1], ShapeError, op, ": weight of shape ", weight,
             " with groups ", groups, " expects ", weight[1] * groups,
             " input channels (weight.shape[1] * groups), got input of shape ", input, " with ",
             input[1]);
    check_bias(op, bias, weight[0]);
    return windows;
}

/// The entries before and after each spatial axis of a conv's input.
struct AxisPadding {
    Size2 before, after;
};

/// PyTorch's padding for `padding` with a kernel and dilation: sizes on both sides;
/// "valid" none; "same" d·(k − 1) per axis, ⌊half⌋ before and the rest after (stride 1).
AxisPadding resolve_padding(const char* op, const Padding& padding, Size2 kernel, Size2 stride,
                            Size2 dilation, std::size_t spatial_dims) {
    if (padding.mode.empty()) return {padding.size, padding.size};
    if (padding.mode == "valid") return {0, 0};
    TG_CHECK(padding.mode == "same", ValueError, op, ": padding must be sizes, \"same\" or ",
             "\"valid\", got \"", padding.mode, "\"");
    TG_CHECK(stride.h == 1 && stride.w == 1, ValueError, op,
             ": padding=\"same\" needs stride 1 (as in PyTorch), got stride ",
             sizes_str(stride, spatial_dims), "; give the padding as sizes");
    const Size2 total(dilation.h * (kernel.h - 1), dilation.w * (kernel.w - 1));
    const Size2 before(total.h / 2, total.w / 2);
    return {before, Size2(total.h - before.h, total.w - before.w)};
}

/// Where position j in [−before, n + after) of a padded axis of size n reads, for the
/// modes other than zeros (F.pad's reflect, replicate, circular).
Indices padded_positions(std::size_t n, std::size_t before, std::size_t after, PaddingMode mode) {
    Indices at;
    const long size = static_cast<long>(n);
    for (long j = -static_cast<long>(before); j < size + static_cast<long>(after); ++j) {
        long k = j;
        if (mode == PaddingMode::reflect)
            k = j < 0 ? -j : (j >= size ? 2 * (size - 1) - j : j);
        else if (mode == PaddingMode::replicate)
            k = std::clamp(j, 0L, size - 1);
        else
            k = ((j % size) + size) % size;
        at.push_back(static_cast<std::size_t>(k));
    }
    return at;
}

/// Checks that F.pad's `mode` can pad an input of `shape` (NCL or NCHW) by `p`: a
/// reflection may not reach the edge twice, a wrap not wrap twice (PyTorch's limits).
void check_padding_fits(const char* op, const Shape& shape, const AxisPadding& p, PaddingMode mode,
                        std::size_t spatial_dims) {
    if (mode == PaddingMode::zeros) return;
    const std::size_t widths[2][2] = {{p.before.h, p.after.h}, {p.before.w, p.after.w}};
    for (std::size_t k = 2 - spatial_dims; k < 2; ++k) {
        const std::size_t before = widths[k][0], after = widths[k][1];
        const std::size_t n = shape[shape.size() - 2 + k];
        const bool fits = mode == PaddingMode::reflect    ? before < n && after < n
                          : mode == PaddingMode::circular ? before <= n && after <= n
                                                          : n > 0 || before + after == 0;
        TG_CHECK(fits, ValueError, op, ": padding_mode=\"", to_string(mode), "\" pads (", before,
                 ", ", after, ") on an input axis of size ", n, " (input shape ", shape, "); ",
                 mode == PaddingMode::reflect    ? "reflect needs padding < the size"
                 : mode == PaddingMode::circular ? "circular needs padding <= the size"
                                                 : "replicate needs a nonempty axis",
                 ", as in PyTorch");
    }
}

/// x (N, C, H, W) padded by `p` with `mode` (recorded: pad, or index_select per axis).
template <class T>
Tensor<T> pad_input(const Tensor<T>& x, const AxisPadding& p, PaddingMode mode) {
    if (mode == PaddingMode::zeros)
        return pad(x, {{0, 0}, {0, 0}, {p.before.h, p.after.h}, {p.before.w, p.after.w}}, T(0));
    Tensor<T> y = x;
    const std::size_t widths[2][2] = {{p.before.h, p.after.h}, {p.before.w, p.after.w}};
    for (std::size_t k = 0; k < 2; ++k) {
        if (widths[k][0] == 0 && widths[k][1] == 0) continue;
        y = index_select(y, static_cast<long>(k + 2),
                         padded_positions(x.shape()[k + 2], widths[k][0], widths[k][1], mode));
    }
    return y;
}

/// conv2d on checked arguments: x (N, C, H, W), weight (C_out, C/G, kh, kw).
template <class T>
Tensor<T> convolution(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias,
                      const Windows& windows, std::size_t groups) {
    const std::size_t out_channels = weight.shape()[0];
    const Tensor<T> cols = detail::im2col(x, windows, T(0));  // (C·kh·kw, N·Ho·Wo)
    const Tensor<T> w = reshape(weight, {out_channels, cols.shape()[0] / groups});
    Tensor<T> y = grouped_gemm(w, cols, groups, false);  // (C_out, N·Ho·Wo)
    if (bias.defined()) {
        // + b 1ᵀ as a rank-1 gemm and a same-shape add: adding the (C_out, 1) column by
        // broadcasting steps through xtensor element by element (9 % of a conv2d step).
        Array<T> ones = Array<T>::from_shape({1, y.shape()[1]});
        std::fill(ones.begin(), ones.end(), T(1));
        y = y + gemm(reshape(bias, {out_channels, 1}), Tensor<T>(std::move(ones)), false, false);
    }
    return detail::channels_first(y, windows.batch, windows.h.out, windows.w.out);
}

/// conv1d and conv2d on the caller's input (NCL or NCHW) and weight, every check made
/// before anything is recorded; a 1-D op runs as a 2-D one of height 1.
template <class T>
Tensor<T> conv_nd(const char* op, std::size_t spatial_dims, const Tensor<T>& input,
                  const Tensor<T>& weight, const Tensor<T>& bias, Size2 stride,
                  const Padding& padding, Size2 dilation, std::size_t groups, PaddingMode mode) {
    const Shape shape = input.shape(), weight_shape = weight.shape();
    const char* layout =
        spatial_dims == 2 ? "(C_out, C_in / groups, kH, kW)" : "(C_out, C_in / groups, k)";
    check_channels(op, shape, weight_shape, spatial_dims, groups, layout);
    const Size2 kernel = kernel_of(weight_shape, spatial_dims);
    detail::check_window_args(op, shape, spatial_dims, kernel, stride, dilation);
    AxisPadding p = resolve_padding(op, padding, kernel, stride, dilation, spatial_dims);
    if (spatial_dims == 1) p.before.h = p.after.h = 0;  // the inserted height axis
    const bool in_windows =
        mode == PaddingMode::zeros && p.before.h == p.after.h && p.before.w == p.after.w;
    // Otherwise the windows run over the input padded first.
    check_padding_fits(op, shape, p, mode, spatial_dims);
    Shape padded_shape = shape;
    if (!in_windows) {
        padded_shape.back() += p.before.w + p.after.w;
        if (spatial_dims == 2) padded_shape[2] += p.before.h + p.after.h;
    }
    const Windows windows = conv_windows(op, spatial_dims, padded_shape, weight_shape, bias, stride,
                                         in_windows ? p.before : Size2(0), dilation, groups);
    const Tensor<T> x = spatial_dims == 1 ? unsqueeze(input, 2) : input;
    const Tensor<T> w = spatial_dims == 1 ? unsqueeze(weight, 2) : weight;
    const Tensor<T> y =
        convolution(in_windows ? x : pad_input(x, p, mode), w, bias, windows, groups);
    return spatial_dims == 1 ? squeeze(y, 2) : y;
}

}  // namespace

std::string to_string(PaddingMode mode) {
    switch (mode) {
        case PaddingMode::zeros: return "zeros";
        case PaddingMode::reflect: return "reflect";
        case PaddingMode::replicate: return "replicate";
        case PaddingMode::circular: return "circular";
    }
    throw ValueError("padding_mode: not one of zeros, reflect, replicate, circular");
}

template <class T>
Tensor<T> conv2d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias,
                 Size2 stride, Padding padding, Size2 dilation, std::size_t groups,
                 PaddingMode padding_mode) {
    return conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups,
                   padding_mode);
}

template <class T>
Tensor<T> conv1d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias,
                 std::size_t stride, Padding padding, std::size_t dilation, std::size_t groups,
                 PaddingMode padding_mode) {
    return conv_nd("conv1d", 1, input, weight, bias, {1, stride}, padding, {1, dilation}, groups,
                   padding_mode);
}

template <class T>
Tensor<T> conv_transpose2d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias,
                           Size2 stride, Size2 padding, Size2 output_padding, std::size_t groups,
                           Size2 dilation) {
    const char* op = "conv_transpose2d";
    const Shape xs = input.shape(), ws = weight.shape();
    check_channels(op, xs, ws, 2, groups, "(C_in, C_out / groups, kH, kW)");
    const Size2 kernel = kernel_of(ws, 2);
    detail::check_window_args(op, xs, 2, kernel, stride, dilation);
    TG_CHECK(ws[0] == xs[1], ShapeError, op, ": weight of shape ", ws, " expects ", ws[0],
             " input channels (weight.shape[0]), got input of shape ", xs, " with ", xs[1]);
    const auto fits = [](std::size_t extra, std::size_t s, std::size_t d) {
        return extra < s || extra < d;
    };
    TG_CHECK(fits(output_padding.h, stride.h, dilation.h) &&
                 fits(output_padding.w, stride.w, dilation.w),
             ValueError, op, ": output_padding ", sizes_str(output_padding, 2),
             " must be smaller than the stride ", sizes_str(stride, 2), " or the dilation ",
             sizes_str(dilation, 2), " on each axis");
    const std::size_t out_channels = ws[1] * groups;
    check_bias(op, bias, out_channels);
    // H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1, in signed arithmetic.
    const auto out_size = [](std::size_t in, std::size_t k, std::size_t s, std::size_t p,
                             std::size_t d, std::size_t extra) {
        return (static_cast<long>(in) - 1) * static_cast<long>(s) - 2 * static_cast<long>(p) +
               static_cast<long>(d * (k - 1) + extra) + 1;
    };
    const long ho = out_size(xs[2], kernel.h, stride.h, padding.h, dilation.h, output_padding.h);
    const long wo = out_size(xs[3], kernel.w, stride.w, padding.w, dilation.w, output_padding.w);
    TG_CHECK(ho >= 1 && wo >= 1, ShapeError, op, ": input of shape ", xs,
             " gives an empty output: (H_out, W_out) = (", ho, ", ", wo, ") with padding ",
             sizes_str(padding, 2));
    // The windows of the conv2d whose adjoint this is: over the output, one position per
    // input entry.
    Windows windows;
    windows.batch = xs[0];
    windows.channels = out_channels;
    windows.h = {static_cast<std::size_t>(ho), kernel.h, stride.h, padding.h, dilation.h, xs[2]};
    windows.w = {static_cast<std::size_t>(wo), kernel.w, stride.w, padding.w, dilation.w, xs[3]};

    const std::size_t in_channels = xs[1];
    // x as (C_in, N·H·W), the columns' layout; then cols = Wᵀ x per group.
    const Tensor<T> x = detail::channels_last(input);
    const Tensor<T> w = reshape(weight, {in_channels, ws[1] * kernel.h * kernel.w});
    Tensor<T> y = detail::col2im(grouped_gemm(w, x, groups, true), windows);
    if (bias.defined()) y = y + reshape(bias, {out_channels, 1, 1});
    return y;
}

#define TG_CONV_INSTANTIATE(T)                                                                   \
    template Tensor<T> conv2d(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Size2,       \
                              Padding, Size2, std::size_t, PaddingMode);                         \
    template Tensor<T> conv1d(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, std::size_t, \
                              Padding, std::size_t, std::size_t, PaddingMode);                   \
    template Tensor<T> conv_transpose2d(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,    \
                                        Size2, Size2, Size2, std::size_t, Size2);
TG_CONV_INSTANTIATE(float)
TG_CONV_INSTANTIATE(double)

}  // namespace tg
