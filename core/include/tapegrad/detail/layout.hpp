#pragma once
// Layout: where a strided view's elements lie in its storage (candle's Layout, numpy's
// strides). Element i = (i0, i1, ...) of a view lies at offset + i0·strides[0] + ...
// elements into the storage it shares (docs/design.md "Storage and views"). Strides are in
// elements and never negative; a stride of 0 repeats an element (expand).
//
// The loops below walk a layout in row-major order of the view: the last axis innermost,
// one library call per run when its stride is 1.

#include <tapegrad/array.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace tg::detail {

struct Layout {
    Shape shape;
    Shape strides;  ///< in elements, one per axis
    std::size_t offset = 0;

    std::size_t size() const {
        std::size_t n = 1;
        for (std::size_t s : shape) n *= s;
        return n;
    }
};

/// The row-major layout of `shape` starting at `offset`.
inline Layout contiguous_layout(const Shape& shape, std::size_t offset = 0) {
    Layout l{shape, Shape(shape.size(), 1), offset};
    for (std::size_t k = shape.size(); k-- > 1;) l.strides[k - 1] = l.strides[k] * shape[k];
    return l;
}

/// Whether the layout is row-major without gaps (PyTorch's is_contiguous: axes of size 1
/// may have any stride; an empty layout is contiguous).
inline bool is_contiguous(const Layout& l) {
    std::size_t expected = 1;
    for (std::size_t k = l.shape.size(); k-- > 0;) {
        if (l.shape[k] == 0) return true;
        if (l.shape[k] == 1) continue;
        if (l.strides[k] != expected) return false;
        expected *= l.shape[k];
    }
    return true;
}

/// One past the last storage element a non-empty layout reaches.
inline std::size_t extent(const Layout& l) {
    std::size_t last = l.offset;
    for (std::size_t k = 0; k < l.shape.size(); ++k) {
        if (l.shape[k] == 0) return l.offset;
        last += (l.shape[k] - 1) * l.strides[k];
    }
    return last + 1;
}

// ---- The view ops as maps of layouts. Applied to a tensor's layout over its storage they
// give the view's; applied to its row-major layout, the view's window in it (where the
// backward adds the gradient).

/// Axis k of the result is axis perm[k] of l (permute, transpose).
inline Layout permuted(const Layout& l, const std::vector<std::size_t>& perm) {
    Layout out{{}, {}, l.offset};
    for (std::size_t p : perm) {
        out.shape.push_back(l.shape[p]);
        out.strides.push_back(l.strides[p]);
    }
    return out;
}

/// Entries start, start + step, ... (count of them) of `axis` (narrow, slice).
inline Layout stepped(const Layout& l, std::size_t axis, std::size_t start, std::size_t count,
                      std::size_t step) {
    Layout out = l;
    if (count > 0) out.offset += start * l.strides[axis];
    out.shape[axis] = count;
    out.strides[axis] = l.strides[axis] * step;
    return out;
}

/// Entry `at` of `axis`, the axis removed (select).
inline Layout selected(const Layout& l, std::size_t axis, std::size_t at) {
    Layout out = l;
    out.offset += at * l.strides[axis];
    out.shape.erase(out.shape.begin() + static_cast<long>(axis));
    out.strides.erase(out.strides.begin() + static_cast<long>(axis));
    return out;
}

/// l broadcast to `shape` (aligned from the right; the caller checked it broadcasts): new
/// and size-1 axes repeat their element, stride 0 (expand, broadcast_to).
inline Layout expanded(const Layout& l, const Shape& shape) {
    Layout out{shape, Shape(shape.size(), 0), l.offset};
    const std::size_t lead = shape.size() - l.shape.size();
    for (std::size_t k = 0; k < l.shape.size(); ++k)
        out.strides[lead + k] = l.shape[k] == shape[lead + k] ? l.strides[k] : 0;
    return out;
}

/// The diagonal of axes a and b (a != b) shifted by `offset` (above the main diagonal when
/// positive), as a new last axis of stride strides[a] + strides[b] (torch.diagonal).
inline Layout diagonal_of(const Layout& l, long offset, std::size_t a, std::size_t b) {
    const long rows = static_cast<long>(l.shape[a]), cols = static_cast<long>(l.shape[b]);
    const long n =
        std::max(0L, offset >= 0 ? std::min(rows, cols - offset) : std::min(rows + offset, cols));
    Layout out{{}, {}, l.offset};
    if (n > 0)
        out.offset += offset >= 0 ? static_cast<std::size_t>(offset) * l.strides[b]
                                  : static_cast<std::size_t>(-offset) * l.strides[a];
    for (std::size_t k = 0; k < l.shape.size(); ++k) {
        if (k == a || k == b) continue;
        out.shape.push_back(l.shape[k]);
        out.strides.push_back(l.strides[k]);
    }
    out.shape.push_back(static_cast<std::size_t>(n));
    out.strides.push_back(l.strides[a] + l.strides[b]);
    return out;
}

/// Strides that read l's elements in row-major order as `shape` without a copy, if there
/// are any (PyTorch's computeStride): each run of l's axes that are one block of memory
/// may be split or merged freely. False when shape's axes would cross such a run.
inline bool restrided(const Layout& l, const Shape& shape, Layout& out) {
    out = Layout{shape, Shape(shape.size(), 1), l.offset};
    if (l.size() == 0 || l.shape.empty()) {  // any strides do; row-major ones
        out = contiguous_layout(shape, l.offset);
        return true;
    }
    long view_axis = static_cast<long>(shape.size()) - 1;
    std::size_t chunk_stride = l.strides.back(), tensor_count = 1, view_count = 1;
    for (std::size_t k = l.shape.size(); k-- > 0;) {
        tensor_count *= l.shape[k];
        const bool chunk_ends =
            k == 0 || (l.shape[k - 1] != 1 && l.strides[k - 1] != tensor_count * chunk_stride);
        if (!chunk_ends) continue;
        while (view_axis >= 0 &&
               (view_count < tensor_count || shape[static_cast<std::size_t>(view_axis)] == 1)) {
            out.strides[static_cast<std::size_t>(view_axis)] = view_count * chunk_stride;
            view_count *= shape[static_cast<std::size_t>(view_axis)];
            --view_axis;
        }
        if (view_count != tensor_count) return false;
        if (k > 0) {
            chunk_stride = l.strides[k - 1];
            tensor_count = 1;
            view_count = 1;
        }
    }
    return view_axis == -1;
}

/// The same elements in the same order with fewer axes: axes of size 1 dropped, and an
/// axis merged into the next when it steps over it whole (stride = next stride · next
/// size), so a permute that keeps its trailing axes walks them as one run.
inline Layout coalesced(const Layout& l) {
    Layout out{{}, {}, l.offset};
    for (std::size_t k = 0; k < l.shape.size(); ++k) {
        if (l.shape[k] == 1) continue;
        if (!out.shape.empty() && out.strides.back() == l.strides[k] * l.shape[k]) {
            out.shape.back() *= l.shape[k];
            out.strides.back() = l.strides[k];
        } else {
            out.shape.push_back(l.shape[k]);
            out.strides.push_back(l.strides[k]);
        }
    }
    return out;
}

/// Walks the view in row-major order one run of its last axis at a time: f(position, i,
/// n, stride) for the run of n elements starting at element i of the view, which lie at
/// storage positions position, position + stride, ...
template <class F>
void for_each_run(const Layout& view, F&& f) {
    const std::size_t total = view.size();
    if (total == 0) return;
    const Layout l = coalesced(view);
    const std::size_t rank = l.shape.size();
    if (rank == 0) {
        f(l.offset, std::size_t{0}, std::size_t{1}, std::size_t{1});
        return;
    }
    const std::size_t run = l.shape[rank - 1], step = l.strides[rank - 1];
    Shape at(rank, 0);
    std::size_t position = l.offset;
    for (std::size_t i = 0; i < total; i += run) {
        f(position, i, run, step);
        for (std::size_t k = rank - 1; k-- > 0;) {  // the next run, axis rank-2 fastest
            position += l.strides[k];
            if (++at[k] < l.shape[k]) break;
            position -= at[k] * l.strides[k];
            at[k] = 0;
        }
    }
}

/// out[i] = storage[position of i]: the view's values, in row-major order.
template <class T>
void gather_strided(const T* storage, const Layout& l, T* out) {
    for_each_run(l, [&](std::size_t p, std::size_t i, std::size_t n, std::size_t s) {
        if (s == 1) {
            std::copy_n(storage + p, n, out + i);
        } else if (s == 0) {  // an expanded axis: one element repeated
            std::fill_n(out + i, n, storage[p]);
        } else {
            for (std::size_t j = 0; j < n; ++j) out[i + j] = storage[p + j * s];
        }
    });
}

/// storage[position of i] += in[i]: a gradient added into its window (positions met twice,
/// as in an expanded view, get both).
template <class T>
void add_strided(T* storage, const Layout& l, const T* in) {
    for_each_run(l, [&](std::size_t p, std::size_t i, std::size_t n, std::size_t s) {
        for (std::size_t j = 0; j < n; ++j) storage[p + j * s] += in[i + j];
    });
}

/// storage[position of i] = in[i].
template <class T>
void write_strided(T* storage, const Layout& l, const T* in) {
    for_each_run(l, [&](std::size_t p, std::size_t i, std::size_t n, std::size_t s) {
        for (std::size_t j = 0; j < n; ++j) storage[p + j * s] = in[i + j];
    });
}

}  // namespace tg::detail
