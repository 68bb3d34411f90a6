#include "im2col.hpp"

#include <tapegrad/check.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

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
            for (std::size_t j = 0; j < g.w.kernel; ++j, ++row) {
                const Inside rh = inside(g.h, i), rw = inside(g.w, j);
                const long oh_at = tap_offset(g.h, i), ow_at = tap_offset(g.w, j);
                for (std::size_t n = 0; n < g.batch; ++n)
                    visit(row * g.batch * rows_per_image + n * rows_per_image,
                          (n * g.channels + c) * plane_size, rh, rw, oh_at, ow_at);
            }
}

/// cols (C·kh·kw, N·Ho·Wo) from x, pad_value where a tap reads outside, a row of output
/// positions at a time: a fill, a copy and a fill.
template <class T>
void im2col_runs(const T* x, const Windows& g, T pad_value, T* cols) {
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

/// y (N, C, H, W) = the sum of the columns' entries at the positions im2col read them from,
/// a row of output positions at a time.
template <class T>
void col2im_runs(const T* cols, const Windows& g, T* y) {
    const std::size_t wo = g.w.out, width = g.w.in;
    const std::size_t sh = g.h.stride, sw = g.w.stride;
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

/// Output rows of at most this many positions go through a table of source offsets
/// (below): a row's fill, copy and fill cost three library calls (about 100 instructions)
/// whatever its length, a table entry a few. On the digits CNN's 8x8 and 4x4 images the
/// calls were 60 % of im2col and col2im.
constexpr std::size_t kTableWidth = 16;

/// For each tap (i, j) and output position (oh, ow), in the columns' order: where the tap
/// reads in an (n, c) plane of x (`source`), and whether that is inside x (`inside`; where
/// not, source is 0, a valid offset, so that the loops below need no branch).
struct TapTable {
    std::vector<std::uint32_t> source;
    std::vector<unsigned char> inside;
};

TapTable tap_table(const Windows& g) {
    TapTable table;
    const std::size_t entries = g.h.kernel * g.w.kernel * g.h.out * g.w.out;
    table.source.reserve(entries);
    table.inside.reserve(entries);
    for (std::size_t i = 0; i < g.h.kernel; ++i)
        for (std::size_t j = 0; j < g.w.kernel; ++j) {
            const Inside rh = inside(g.h, i), rw = inside(g.w, j);
            const long oh_at = tap_offset(g.h, i), ow_at = tap_offset(g.w, j);
            for (std::size_t oh = 0; oh < g.h.out; ++oh)
                for (std::size_t ow = 0; ow < g.w.out; ++ow) {
                    const bool in = oh >= rh.lo && oh < rh.hi && ow >= rw.lo && ow < rw.hi;
                    const long at =
                        (static_cast<long>(oh * g.h.stride) + oh_at) * static_cast<long>(g.w.in) +
                        static_cast<long>(ow * g.w.stride) + ow_at;
                    table.source.push_back(in ? static_cast<std::uint32_t>(at) : 0);
                    table.inside.push_back(in);
                }
        }
    return table;
}

/// Whether the table path applies: short output rows, and planes that uint32 offsets index.
bool use_table(const Windows& g) {
    return g.w.out <= kTableWidth && g.h.in * g.w.in <= std::size_t{1} << 31;
}

/// Calls visit(row, plane, source, inside) for each channel c, tap t and image n, in the
/// order of for_each_row: `row` is the offset of image n's block of the columns' row
/// (c, t), `plane` the offset of x's (n, c) plane, `source` and `inside` tap t's Ho·Wo
/// table entries.
template <class Visit>
void for_each_table_row(const Windows& g, Visit&& visit) {
    const TapTable table = tap_table(g);
    const std::size_t positions = g.h.out * g.w.out, plane_size = g.h.in * g.w.in;
    const std::size_t taps = g.h.kernel * g.w.kernel;
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t t = 0; t < taps; ++t)
            for (std::size_t n = 0; n < g.batch; ++n)
                visit(((c * taps + t) * g.batch + n) * positions, (n * g.channels + c) * plane_size,
                      table.source.data() + t * positions, table.inside.data() + t * positions);
}

/// One (c, t, n) row of the table path: out[k] = in[source[k]], or pad_value outside. Not
/// inlined: inlined into the loops around it, its pointers were spilled to the stack and
/// reloaded for every entry (14 instructions an entry; 5 here).
template <class T>
__attribute__((noinline)) void gather_row(const T* __restrict in,
                                          const std::uint32_t* __restrict source,
                                          const unsigned char* __restrict inside,
                                          std::size_t positions, T pad_value, T* __restrict out) {
    for (std::size_t k = 0; k < positions; ++k) {
        const T v = in[source[k]];
        out[k] = inside[k] ? v : pad_value;
    }
}

/// col2im's row: out[source[k]] += in[k] inside; a padding entry adds 0 to out[0].
template <class T>
__attribute__((noinline)) void scatter_add_row(const T* __restrict in,
                                               const std::uint32_t* __restrict source,
                                               const unsigned char* __restrict inside,
                                               std::size_t positions, T* __restrict out) {
    for (std::size_t k = 0; k < positions; ++k) out[source[k]] += inside[k] ? in[k] : T(0);
}

template <class T>
void im2col_into(const T* x, const Windows& g, T pad_value, T* cols) {
    if (!use_table(g)) return im2col_runs(x, g, pad_value, cols);
    const std::size_t positions = g.h.out * g.w.out;
    for_each_table_row(g, [&](std::size_t row, std::size_t plane, const std::uint32_t* source,
                              const unsigned char* inside) {
        gather_row(x + plane, source, inside, positions, pad_value, cols + row);
    });
}

template <class T>
void col2im_into(const T* cols, const Windows& g, T* y) {
    std::fill(y, y + g.batch * g.channels * g.h.in * g.w.in, T(0));
    if (!use_table(g)) return col2im_runs(cols, g, y);
    const std::size_t positions = g.h.out * g.w.out;
    for_each_table_row(g, [&](std::size_t row, std::size_t plane, const std::uint32_t* source,
                              const unsigned char* inside) {
        scatter_add_row(cols + row, source, inside, positions, y + plane);
    });
}

}  // namespace

std::size_t window_positions(std::size_t in, std::size_t kernel, std::size_t stride,
                             std::size_t padding, std::size_t dilation, bool ceil_mode) {
    const std::size_t span = dilation * (kernel - 1) + 1;
    if (in + 2 * padding < span) return 0;
    const std::size_t room = in + 2 * padding - span;
    if (!ceil_mode) return room / stride + 1;
    std::size_t out = (room + stride - 1) / stride + 1;
    if ((out - 1) * stride >= in + padding) --out;  // a window starting in the right padding
    return out;
}

std::string sizes_str(Size2 s, std::size_t spatial_dims) {
    if (spatial_dims == 1) return "(" + std::to_string(s.w) + ")";
    return "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")";
}

void check_window_args(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                       Size2 stride, Size2 dilation) {
    TG_CHECK(shape.size() == spatial_dims + 2, ShapeError, op, ": expected a ", spatial_dims + 2,
             "-D input ", (spatial_dims == 1 ? "(N, C, L)" : "(N, C, H, W)"), ", got shape ",
             shape);
    const auto at_least_one = [&](Size2 s, const char* what) {
        TG_CHECK(s.h > 0 && s.w > 0, ValueError, op, ": ", what, " must be at least 1, got ",
                 sizes_str(s, spatial_dims));
    };
    at_least_one(kernel, "kernel size");
    at_least_one(stride, "stride");
    at_least_one(dilation, "dilation");
}

Windows make_windows(const char* op, const Shape& shape, std::size_t spatial_dims, Size2 kernel,
                     Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode) {
    check_window_args(op, shape, spatial_dims, kernel, stride, dilation);
    Windows g;
    g.batch = shape[0];
    g.channels = shape[1];
    const std::size_t h = spatial_dims == 1 ? 1 : shape[2], w = shape.back();
    g.h = {h,          kernel.h,
           stride.h,   padding.h,
           dilation.h, window_positions(h, kernel.h, stride.h, padding.h, dilation.h, ceil_mode)};
    g.w = {w,          kernel.w,
           stride.w,   padding.w,
           dilation.w, window_positions(w, kernel.w, stride.w, padding.w, dilation.w, ceil_mode)};
    if (g.h.out == 0 || g.w.out == 0) {
        const Size2 padded(h + 2 * padding.h, w + 2 * padding.w);
        const Size2 span(dilation.h * (kernel.h - 1) + 1, dilation.w * (kernel.w - 1) + 1);
        throw ShapeError(message(op, ": input of shape ", shape,
                                 " is too small for the kernel: padded size ",
                                 sizes_str(padded, spatial_dims), ", dilated kernel size ",
                                 sizes_str(span, spatial_dims)));
    }
    return g;
}

template <class T>
Tensor<T> im2col(const Tensor<T>& x, const Windows& windows, T pad_value, bool by_channel) {
    const WindowAxis &h = windows.h, &w = windows.w;
    const std::size_t taps = h.kernel * w.kernel, columns = windows.batch * h.out * w.out;
    Tensor<T> cols = by_channel ? Tensor<T>::uninitialized({windows.channels, taps, columns})
                                : Tensor<T>::uninitialized({windows.channels * taps, columns});
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
    const bool by_channel = cols.dim() == 3;  // the gradient takes the columns' shape
    record("col2im", {cols}, y, {}, [windows, by_channel](BackwardContext<T>& c) {
        c.add(0, im2col(c.grad(), windows, T(0), by_channel));
    });
    return y;
}

namespace {

/// Copies the (C, N·P) blocks of `from` into (N, C, P) order (to_nchw) or back.
template <class T>
void move_blocks(const T* from, std::size_t channels, std::size_t batch, std::size_t plane,
                 bool to_nchw, T* to) {
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t n = 0; n < batch; ++n) {
            const std::size_t cn = (c * batch + n) * plane, nc = (n * channels + c) * plane;
            std::copy_n(from + (to_nchw ? cn : nc), plane, to + (to_nchw ? nc : cn));
        }
}

}  // namespace

// One recorded copy each way, where reshape + permute made two (a reshape copies its
// input): at batch 256 the reshapes were 16 % of the digits CNN's step.
template <class T>
Tensor<T> channels_first(const Tensor<T>& y, std::size_t batch, std::size_t height,
                         std::size_t width) {
    const std::size_t channels = y.shape()[0], plane = height * width;
    Tensor<T> out = Tensor<T>::uninitialized({batch, channels, height, width});
    move_blocks(y.value().data(), channels, batch, plane, true, out.node()->value.data());
    record("channels_first", {y}, out, {},
           [](BackwardContext<T>& c) { c.add(0, channels_last(c.grad())); });
    return out;
}

template <class T>
Tensor<T> channels_last(const Tensor<T>& x) {
    const Shape s = x.shape();  // (N, C, H, W)
    const std::size_t batch = s[0], channels = s[1], height = s[2], width = s[3];
    Tensor<T> out = Tensor<T>::uninitialized({channels, batch * height * width});
    move_blocks(x.value().data(), channels, batch, height * width, false, out.node()->value.data());
    record("channels_last", {x}, out, {}, [batch, height, width](BackwardContext<T>& c) {
        c.add(0, channels_first(c.grad(), batch, height, width));
    });
    return out;
}

#define TG_IM2COL_INSTANTIATE(T)                                                                \
    template Tensor<T> im2col(const Tensor<T>&, const Windows&, T, bool);                       \
    template Tensor<T> col2im(const Tensor<T>&, const Windows&);                                \
    template Tensor<T> channels_first(const Tensor<T>&, std::size_t, std::size_t, std::size_t); \
    template Tensor<T> channels_last(const Tensor<T>&);
TG_IM2COL_INSTANTIATE(float)
TG_IM2COL_INSTANTIATE(double)

}  // namespace tg::detail
