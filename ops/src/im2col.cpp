#include "im2col.hpp"

#include <tapegrad/error.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>

namespace tg::detail {
namespace {

/// The positions o in [lo, hi) of an axis whose tap `tap` reads inside the input:
/// 0 <= o·s − p + tap·d < in. The others read padding.
struct Inside {
    std::size_t lo = 0, hi = 0;
};

Inside inside(const WindowAxis& a, std::size_t tap) {
    const long s = static_cast<long>(a.stride);
    const long offset = static_cast<long>(tap * a.dilation) - static_cast<long>(a.padding);
    const long in = static_cast<long>(a.in), out = static_cast<long>(a.out);
    const long lo = offset >= 0 ? 0 : (-offset + s - 1) / s;           // o·s + offset >= 0
    const long hi = in - offset <= 0 ? 0 : (in - offset - 1) / s + 1;  // o·s + offset < in
    Inside r;
    r.lo = static_cast<std::size_t>(std::min(lo, out));
    r.hi = static_cast<std::size_t>(std::max(std::min(hi, out), std::min(lo, out)));
    return r;
}

/// Where tap `tap` of position o reads: o·s + offset (valid for o in inside(a, tap)).
long tap_offset(const WindowAxis& a, std::size_t tap) {
    return static_cast<long>(tap * a.dilation) - static_cast<long>(a.padding);
}

/// Calls visit(row, plane, rh, rw, oh_at, ow_at) for each channel c, tap (i, j) and image
/// n: `row` is the offset of image n's block of the columns' row (c, i, j), `plane` the
/// offset of x's (n, c) plane, rh and rw the output positions whose tap reads inside it,
/// oh_at and ow_at where position 0 reads (position o reads o·s + at). One traversal for
/// both directions, so im2col and col2im cannot disagree.
template <class Visit>
void for_each_row(const Windows& g, Visit&& visit) {
    const std::size_t rows_per_image = g.h.out * g.w.out;
    const std::size_t plane_size = g.h.in * g.w.in;
    std::size_t row = 0;
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t i = 0; i < g.h.kernel; ++i)
            for (std::size_t j = 0; j < g.w.kernel; ++j, ++row)
                for (std::size_t n = 0; n < g.batch; ++n)
                    visit(row * g.batch * rows_per_image + n * rows_per_image,
                          (n * g.channels + c) * plane_size, inside(g.h, i), inside(g.w, j),
                          tap_offset(g.h, i), tap_offset(g.w, j));
}

/// cols (C·kh·kw, N·Ho·Wo) from x, pad_value where a tap reads outside.
template <class T>
void im2col_into(const T* x, const Windows& g, T pad_value, T* cols) {
    const std::size_t ho = g.h.out, wo = g.w.out, width = g.w.in;
    const std::size_t sh = g.h.stride, sw = g.w.stride;
    for_each_row(g, [&](std::size_t row, std::size_t plane, Inside rh, Inside rw, long oh_at,
                        long ow_at) {
        T* out = cols + row;
        for (std::size_t oh = 0; oh < ho; ++oh, out += wo) {
            if (oh < rh.lo || oh >= rh.hi) {
                std::fill(out, out + wo, pad_value);
                continue;
            }
            // Input row oh·s + oh_at, read from column ow·s + ow_at (>= 0 inside [lo, hi)).
            const T* in =
                x + plane + static_cast<std::size_t>(static_cast<long>(oh * sh) + oh_at) * width;
            std::fill(out, out + rw.lo, pad_value);
            if (rw.lo < rw.hi && sw == 1)  // a contiguous run: a copy the compiler vectorizes
                std::copy_n(in + (static_cast<long>(rw.lo) + ow_at), rw.hi - rw.lo, out + rw.lo);
            else
                for (std::size_t ow = rw.lo; ow < rw.hi; ++ow)
                    out[ow] = in[static_cast<std::size_t>(static_cast<long>(ow * sw) + ow_at)];
            std::fill(out + rw.hi, out + wo, pad_value);
        }
    });
}

/// y (N, C, H, W) = the sum of the columns' entries at the positions im2col read them from.
template <class T>
void col2im_into(const T* cols, const Windows& g, T* y) {
    const std::size_t wo = g.w.out, width = g.w.in;
    const std::size_t sh = g.h.stride, sw = g.w.stride;
    std::fill(y, y + g.batch * g.channels * g.h.in * g.w.in, T(0));
    for_each_row(
        g, [&](std::size_t row, std::size_t plane, Inside rh, Inside rw, long oh_at, long ow_at) {
            if (rw.lo == rw.hi) return;
            for (std::size_t oh = rh.lo; oh < rh.hi; ++oh) {
                const T* in = cols + row + oh * wo;
                T* out = y + plane +
                         static_cast<std::size_t>(static_cast<long>(oh * sh) + oh_at) * width;
                if (sw == 1) {
                    T* run = out + (static_cast<long>(rw.lo) + ow_at);  // where position rw.lo adds
                    for (std::size_t k = 0; k < rw.hi - rw.lo; ++k) run[k] += in[rw.lo + k];
                } else {
                    for (std::size_t ow = rw.lo; ow < rw.hi; ++ow)
                        out[static_cast<std::size_t>(static_cast<long>(ow * sw) + ow_at)] += in[ow];
                }
            }
        });
}

}  // namespace

std::size_t window_positions(std::size_t in, std::size_t kernel, std::size_t stride,
                             std::size_t padding, std::size_t dilation) {
    const std::size_t span = dilation * (kernel - 1) + 1;
    if (in + 2 * padding < span) return 0;
    return (in + 2 * padding - span) / stride + 1;
}

std::string sizes_str(Size2 s, std::size_t spatial_dims) {
    if (spatial_dims == 1) return "(" + std::to_string(s.w) + ")";
    return "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")";
}

void check_window_args(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                       Size2 stride, Size2 dilation) {
    const std::string name(op);
    if (shape.size() != spatial_dims + 2)
        throw ShapeError(name + ": expected a " + std::to_string(spatial_dims + 2) + "-D input " +
                         (spatial_dims == 1 ? "(N, C, L)" : "(N, C, H, W)") + ", got shape " +
                         shape_str(shape));
    const auto at_least_one = [&](Size2 s, const char* what) {
        if (s.h == 0 || s.w == 0)
            throw ValueError(name + ": " + what + " must be at least 1, got " +
                             sizes_str(s, spatial_dims));
    };
    at_least_one(kernel, "kernel size");
    at_least_one(stride, "stride");
    at_least_one(dilation, "dilation");
}

Windows make_windows(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                     Size2 stride, Size2 padding, Size2 dilation) {
    check_window_args(op, shape, spatial_dims, kernel, stride, dilation);
    Windows g;
    g.batch = shape[0];
    g.channels = shape[1];
    const std::size_t h = spatial_dims == 1 ? 1 : shape[2], w = shape.back();
    g.h = {h,         kernel.h,   stride.h,
           padding.h, dilation.h, window_positions(h, kernel.h, stride.h, padding.h, dilation.h)};
    g.w = {w,         kernel.w,   stride.w,
           padding.w, dilation.w, window_positions(w, kernel.w, stride.w, padding.w, dilation.w)};
    if (g.h.out == 0 || g.w.out == 0) {
        const Size2 padded(h + 2 * padding.h, w + 2 * padding.w);
        const Size2 span(dilation.h * (kernel.h - 1) + 1, dilation.w * (kernel.w - 1) + 1);
        throw ShapeError(std::string(op) + ": input of shape " + shape_str(shape) +
                         " is too small for the kernel: padded size " +
                         sizes_str(padded, spatial_dims) + ", dilated kernel size " +
                         sizes_str(span, spatial_dims));
    }
    return g;
}

template <class T>
Tensor<T> im2col(const Tensor<T>& x, const Windows& windows, T pad_value) {
    const WindowAxis &h = windows.h, &w = windows.w;
    Tensor<T> cols = Tensor<T>::uninitialized(
        {windows.channels * h.kernel * w.kernel, windows.batch * h.out * w.out});
    im2col_into(x.value().data(), windows, pad_value, cols.node()->value.data());
    record("im2col", {x}, cols, {},
           [windows](BackwardContext<T>& c) { c.add(0, col2im(c.grad(), windows)); });
    return cols;
}

template <class T>
Tensor<T> col2im(const Tensor<T>& cols, const Windows& windows) {
    Tensor<T> y =
        Tensor<T>::uninitialized({windows.batch, windows.channels, windows.h.in, windows.w.in});
    col2im_into(cols.value().data(), windows, y.node()->value.data());
    record("col2im", {cols}, y, {},
           [windows](BackwardContext<T>& c) { c.add(0, im2col(c.grad(), windows, T(0))); });
    return y;
}

template <class T>
Tensor<T> channels_first(const Tensor<T>& y, std::size_t batch, std::size_t height,
                         std::size_t width) {
    return permute(reshape(y, {y.shape()[0], batch, height, width}), {1, 0, 2, 3});
}

#define TG_IM2COL_INSTANTIATE(T)                                    \
    template Tensor<T> im2col(const Tensor<T>&, const Windows&, T); \
    template Tensor<T> col2im(const Tensor<T>&, const Windows&);    \
    template Tensor<T> channels_first(const Tensor<T>&, std::size_t, std::size_t, std::size_t);
TG_IM2COL_INSTANTIATE(float)
TG_IM2COL_INSTANTIATE(double)

}  // namespace tg::detail
