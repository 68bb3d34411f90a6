// Indexing and shape ops (ops/include/tapegrad/ops/index.hpp), all built on one pair of
// recorded primitives over a list of flat positions p:
//     gather_at:  y.flat[i]  = x.flat[p[i]]        d/dx = scatter_at(g, p, shape(x))
//     scatter_at: y.flat[p[i]] += x.flat[i]       d/dx = gather_at(g, p, shape(x))
// Each is the other's adjoint, so every op here has a backward made of recorded ops.
// index_select along axis 0 copies whole rows instead (detail::gather_rows, shape.cpp);
// slice and select are views (detail::strided_view, shape.cpp).

#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "gather_rows.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>

namespace tg {
namespace {

using Positions = std::shared_ptr<const std::vector<std::size_t>>;

template <class T>
Tensor<T> scatter_at(const char* name, const Tensor<T>& x, const Positions& p, const Shape& shape);

/// y of `shape` with y.flat[i] = x.flat[p[i]].  d/dx = scatter_at(g, p, shape(x)).
template <class T>
Tensor<T> gather_at(const char* name, const Tensor<T>& x, const Positions& p, const Shape& shape) {
    Tensor<T> y = Tensor<T>::uninitialized(shape);
    const T* in = x.value().data();
    T* out = y.node()->value.data();
    for (std::size_t i = 0; i < p->size(); ++i) out[i] = in[(*p)[i]];
    detail::count_moved<T>(p->size());
    record(name, {x}, y, {}, [name, p](BackwardContext<T>& c) {
        c.add(0, scatter_at(name, c.grad(), p, c.input_shape(0)));
    });
    return y;
}

/// y of `shape`, zero but for y.flat[p[i]] += x.flat[i].  d/dx = gather_at(g, p, shape(x)).
template <class T>
Tensor<T> scatter_at(const char* name, const Tensor<T>& x, const Positions& p, const Shape& shape) {
    Tensor<T> y = Tensor<T>::uninitialized(shape);
    T* out = y.node()->value.data();
    std::fill(out, out + y.size(), T(0));
    const T* in = x.value().data();
    for (std::size_t i = 0; i < p->size(); ++i) out[(*p)[i]] += in[i];
    detail::count_moved<T>(p->size());
    record(name, {x}, y, {}, [name, p](BackwardContext<T>& c) {
        c.add(0, gather_at(name, c.grad(), p, c.input_shape(0)));
    });
    return y;
}

/// Row-major strides of `shape`, in elements.
std::vector<std::size_t> strides_of(const Shape& shape) {
    std::vector<std::size_t> s(shape.size(), 1);
    for (std::size_t k = shape.size(); k-- > 1;) s[k - 1] = s[k] * shape[k];
    return s;
}

/// The flat positions in a tensor of `source` shape of the entries (picks[0][i0],
/// picks[1][i1], ...), for every (i0, i1, ...) in row-major order: an axis-wise selection.
Positions positions_of(const Shape& source, const std::vector<Indices>& picks) {
    const std::vector<std::size_t> stride = strides_of(source);
    std::size_t count = 1;
    for (const Indices& p : picks) count *= p.size();
    auto out = std::make_shared<std::vector<std::size_t>>();
    out->reserve(count);
    if (count == 0) return out;
    const std::size_t rank = picks.size();
    std::vector<std::size_t> at(rank, 0);
    std::size_t offset = 0;
    for (std::size_t k = 0; k < rank; ++k) offset += picks[k][0] * stride[k];
    for (std::size_t n = 0; n < count; ++n) {
        out->push_back(offset);
        for (std::size_t k = rank; k-- > 0;) {  // the next index, last axis fastest
            offset -= picks[k][at[k]] * stride[k];
            if (++at[k] < picks[k].size()) {
                offset += picks[k][at[k]] * stride[k];
                break;
            }
            at[k] = 0;
            offset += picks[k][0] * stride[k];
        }
    }
    return out;
}

/// Every index of every axis of `shape` (the identity selection).
std::vector<Indices> all_of(const Shape& shape) {
    std::vector<Indices> picks(shape.size());
    for (std::size_t k = 0; k < shape.size(); ++k) {
        picks[k].resize(shape[k]);
        std::iota(picks[k].begin(), picks[k].end(), std::size_t{0});
    }
    return picks;
}

Shape shape_of(const std::vector<Indices>& picks) {
    Shape s;
    for (const Indices& p : picks) s.push_back(p.size());
    return s;
}

/// x with the entries `picks` of each axis, as one recorded gather named `name`.
template <class T>
Tensor<T> pick(const char* name, const Tensor<T>& x, const std::vector<Indices>& picks) {
    return gather_at(name, x, positions_of(x.shape(), picks), shape_of(picks));
}

/// Clips a numpy slice bound to [0, n] (negative counts from the end).
std::size_t slice_bound(long i, std::size_t n) {
    const long size = static_cast<long>(n);
    if (i < 0) i = std::max(0L, i + size);
    return static_cast<std::size_t>(std::min(i, size));
}

/// tg::ValueError naming `op` unless the index `i` lies in [0, n) along `axis`: an int64
/// index, negative or past the end (PyTorch's "index out of range").
void check_index(const char* op, std::int64_t i, std::size_t n, std::size_t axis,
                 const Shape& shape) {
    TG_CHECK(i >= 0 && static_cast<std::uint64_t>(i) < n, ValueError, op, ": index ", i,
             " is out of range for axis ", axis, " of size ", n, " (shape ", shape,
             "); indices lie in [0, ", n, ")");
}

/// gather's positions: for each entry of `index` (a tensor of x's rank, float, double or
/// int64), the flat position in x of the same multi-index with `axis` replaced by the
/// entry's value.
template <class I>
Positions along_axis(const char* op, const Shape& x_shape, std::size_t axis,
                     const Tensor<I>& index) {
    const Shape is = index.shape();
    TG_CHECK(is.size() == x_shape.size(), ShapeError, op, ": index of shape ", is,
             " needs as many axes as the tensor of shape ", x_shape);
    for (std::size_t k = 0; k < is.size(); ++k)
        TG_CHECK(k == axis || is[k] <= x_shape[k], ShapeError, op, ": index of shape ", is,
                 " is larger than the tensor of shape ", x_shape, " on axis ", k, " (only axis ",
                 axis, " may differ)");
    std::vector<Indices> picks = all_of(is);
    picks[axis] = {0};
    const Positions base = positions_of(x_shape, picks);  // index's cell with axis entry 0
    const std::size_t inner = strides_of(is)[axis], n = is[axis];
    const std::size_t x_stride = strides_of(x_shape)[axis];
    auto out = std::make_shared<std::vector<std::size_t>>(index.size());
    const I* v = index.value().data();
    for (std::size_t i = 0; i < index.size(); ++i) {
        const I raw = v[i];
        if constexpr (std::is_integral_v<I>)
            check_index(op, raw, x_shape[axis], axis, x_shape);
        else
            TG_CHECK(raw >= 0 && raw < I(x_shape[axis]) && std::floor(raw) == raw, ValueError, op,
                     ": index holds ", std::to_string(raw), ", not a whole number in [0, ",
                     x_shape[axis], ") for axis ", axis, " of shape ", x_shape);
        // Entry i is (outer, j, inner) of index's shape split around the axis.
        const std::size_t outer = i / (n * inner), rest = i % inner;
        (*out)[i] = (*base)[outer * inner + rest] + static_cast<std::size_t>(raw) * x_stride;
    }
    return out;
}

/// The mask entry (i, j) of the last two axes: kept by tril (j - i <= k) or triu (j - i >= k).
template <class T>
Tensor<T> triangle(const char* name, const Tensor<T>& x, long k, bool lower) {
    TG_CHECK(x.dim() >= 2, ShapeError, name,
             ": needs at least 2 axes (the matrix is the last two); got shape ", x.shape());
    const Shape s = x.shape();
    const std::size_t rows = s[s.size() - 2], cols = s[s.size() - 1];
    Tensor<T> y = Tensor<T>::uninitialized(s);
    const T* in = x.value().data();
    T* out = y.node()->value.data();
    for (std::size_t e = 0; e < x.size(); ++e) {
        const long i = static_cast<long>((e / cols) % rows), j = static_cast<long>(e % cols);
        out[e] = (lower ? j - i <= k : j - i >= k) ? in[e] : T(0);
    }
    record(name, {x}, y, {}, [k, lower](BackwardContext<T>& c) {
        c.add(0, lower ? tril(c.grad(), k) : triu(c.grad(), k));
    });
    return y;
}

}  // namespace

template <class T>
Tensor<std::int64_t> to_int64(const Tensor<T>& x) {
    Tensor<std::int64_t> out = Tensor<std::int64_t>::uninitialized(x.shape());
    const T* in = x.value().data();
    std::int64_t* o = out.node()->value.data();
    // int64 holds [-2^63, 2^63); both bounds are exact in float and double.
    const T low = -T(9223372036854775808.0), high = T(9223372036854775808.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        TG_CHECK(in[i] >= low && in[i] < high && std::floor(in[i]) == in[i], ValueError,
                 "to_int64: element ", i, " is ", std::to_string(in[i]),
                 ", not a whole number in int64's range [-2^63, 2^63)");
        o[i] = static_cast<std::int64_t>(in[i]);
    }
    return out;
}

template <class T>
Tensor<T> to_floating(const Tensor<std::int64_t>& indices) {
    Tensor<T> out = Tensor<T>::uninitialized(indices.shape());
    const std::int64_t* in = indices.value().data();
    T* o = out.node()->value.data();
    for (std::size_t i = 0; i < indices.size(); ++i) o[i] = static_cast<T>(in[i]);
    return out;
}

template <class T>
Tensor<T> slice(const Tensor<T>& x, long axis_arg, long start, long stop, long step) {
    const std::size_t axis = detail::normalize_axis("slice", axis_arg, x.dim());
    TG_CHECK(step >= 1, ValueError, "slice: step ", step,
             " is not positive; steps are 1 or more (reverse with tg::flip)");
    const std::size_t n = x.shape()[axis];
    const std::size_t first = slice_bound(start, n), last = slice_bound(stop, n);
    const std::size_t by = static_cast<std::size_t>(step);
    const std::size_t count = last > first ? (last - first + by - 1) / by : 0;
    return detail::strided_view<T>("slice", x, [=](const detail::Layout& l) {
        return detail::stepped(l, axis, first, count, by);
    });
}

template <class T>
Tensor<T> select(const Tensor<T>& x, long axis_arg, long index) {
    const std::size_t axis = detail::normalize_axis("select", axis_arg, x.dim());
    const long n = static_cast<long>(x.shape()[axis]);
    TG_CHECK(index >= -n && index < n, ValueError, "select: index ", index,
             " is out of range for axis ", axis, " of size ", n, " (shape ", x.shape(), ")");
    const std::size_t at = static_cast<std::size_t>(index < 0 ? index + n : index);
    return detail::strided_view<T>(
        "select", x, [=](const detail::Layout& l) { return detail::selected(l, axis, at); });
}

template <class T>
Tensor<T> index_select(const Tensor<T>& x, long axis_arg, const Indices& indices) {
    const std::size_t axis = detail::normalize_axis("index_select", axis_arg, x.dim());
    const std::size_t n = x.shape()[axis];
    for (std::size_t i : indices)
        TG_CHECK(i < n, ValueError, "index_select: index ", i, " is past the end of axis ", axis,
                 " of size ", n, " (shape ", x.shape(), ")");
    if (axis == 0) return detail::gather_rows("index_select", x, indices);  // whole rows
    std::vector<Indices> picks = all_of(x.shape());
    picks[axis] = indices;
    return pick("index_select", x, picks);
}

template <class T, class I, detail::if_index_t<I>>
Tensor<T> index_select(const Tensor<T>& x, long axis_arg, const Tensor<I>& indices) {
    const std::size_t axis = detail::normalize_axis("index_select", axis_arg, x.dim());
    TG_CHECK(indices.dim() <= 1, ShapeError, "index_select: indices of shape ", indices.shape(),
             "; pass a 0-d or 1-d tensor of indices (flatten them, then reshape the result)");
    const std::size_t n = x.shape()[axis];
    Indices list;
    list.reserve(indices.size());
    for (const std::int64_t i : indices.value()) {
        check_index("index_select", i, n, axis, x.shape());
        list.push_back(static_cast<std::size_t>(i));
    }
    return index_select(x, static_cast<long>(axis), list);
}

namespace {

/// gather for an index of float, double or int64 elements.
template <class T, class I>
Tensor<T> gather_any(const Tensor<T>& x, long axis_arg, const Tensor<I>& index) {
    const std::size_t axis = detail::normalize_axis("gather", axis_arg, x.dim());
    return gather_at("gather", x, along_axis("gather", x.shape(), axis, index), index.shape());
}

}  // namespace

template <class T>
Tensor<T> gather(const Tensor<T>& x, long axis, const Tensor<T>& index) {
    return gather_any(x, axis, index);
}

template <class T, class I, detail::if_index_t<I>>
Tensor<T> gather(const Tensor<T>& x, long axis, const Tensor<I>& index) {
    return gather_any(x, axis, index);
}

namespace {

/// scatter_add for an index of float, double or int64 elements.
template <class T, class I>
Tensor<T> scatter_add_any(const Tensor<T>& x, long axis_arg, const Tensor<I>& index,
                          const Tensor<T>& src) {
    const std::size_t axis = detail::normalize_axis("scatter_add", axis_arg, x.dim());
    TG_CHECK(src.shape() == index.shape(), ShapeError, "scatter_add: src of shape ", src.shape(),
             " and index of shape ", index.shape(), " must have one shape");
    const Positions p = along_axis("scatter_add", x.shape(), axis, index);
    return x + scatter_at("scatter_add", src, p, x.shape());
}

}  // namespace

template <class T>
Tensor<T> scatter_add(const Tensor<T>& x, long axis, const Tensor<T>& index, const Tensor<T>& src) {
    return scatter_add_any(x, axis, index, src);
}

template <class T, class I, detail::if_index_t<I>>
Tensor<T> scatter_add(const Tensor<T>& x, long axis, const Tensor<I>& index, const Tensor<T>& src) {
    return scatter_add_any(x, axis, index, src);
}

template <class T>
Tensor<T> unsqueeze(const Tensor<T>& x, long axis_arg) {
    const std::size_t axis = detail::normalize_axis("unsqueeze", axis_arg, x.dim() + 1);
    const Shape xs = x.shape();
    Shape s;
    for (std::size_t k = 0; k <= xs.size(); ++k) {
        if (k == axis) s.push_back(1);
        if (k < xs.size()) s.push_back(xs[k]);
    }
    return reshape(x, s);
}

template <class T>
Tensor<T> squeeze(const Tensor<T>& x) {
    Shape s;
    for (std::size_t n : x.shape())
        if (n != 1) s.push_back(n);
    return reshape(x, s);
}

template <class T>
Tensor<T> squeeze(const Tensor<T>& x, long axis_arg) {
    const std::size_t axis = detail::normalize_axis("squeeze", axis_arg, x.dim());
    Shape s = x.shape();
    TG_CHECK(s[axis] == 1, ShapeError, "squeeze: axis ", axis, " of shape ", s, " has size ",
             s[axis], ", not 1");
    s.erase(s.begin() + static_cast<long>(axis));
    return reshape(x, s);
}

template <class T>
Tensor<T> flatten(const Tensor<T>& x, long start_arg, long end_arg) {
    if (x.dim() == 0) return reshape(x, {1});
    const std::size_t start = detail::normalize_axis("flatten", start_arg, x.dim());
    const std::size_t end = detail::normalize_axis("flatten", end_arg, x.dim());
    TG_CHECK(start <= end, ValueError, "flatten: start axis ", start, " comes after end axis ", end,
             " (shape ", x.shape(), ")");
    const Shape s = x.shape();
    Shape out(s.begin(), s.begin() + static_cast<long>(start));
    std::size_t merged = 1;
    for (std::size_t k = start; k <= end; ++k) merged *= s[k];
    out.push_back(merged);
    out.insert(out.end(), s.begin() + static_cast<long>(end) + 1, s.end());
    return reshape(x, out);
}

template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& xs, long axis_arg) {
    TG_CHECK(!xs.empty(), ValueError, "stack: needs at least one tensor");
    const std::size_t axis = detail::normalize_axis("stack", axis_arg, xs[0].dim() + 1);
    std::vector<Tensor<T>> parts;
    for (std::size_t k = 0; k < xs.size(); ++k)
        TG_CHECK(xs[k].shape() == xs[0].shape(), ShapeError, "stack: tensor #", k, " has shape ",
                 xs[k].shape(), " but tensor #0 has ", xs[0].shape(),
                 "; stacked tensors need one shape");
    for (const Tensor<T>& x : xs) parts.push_back(unsqueeze(x, static_cast<long>(axis)));
    return concat(parts, static_cast<long>(axis));
}

template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& x, const Indices& sizes, long axis_arg) {
    const std::size_t axis = detail::normalize_axis("split", axis_arg, x.dim());
    const std::size_t total = std::accumulate(sizes.begin(), sizes.end(), std::size_t{0});
    TG_CHECK(total == x.shape()[axis], ShapeError, "split: sizes ", sizes, " add up to ", total,
             " but axis ", axis, " of shape ", x.shape(), " has ", x.shape()[axis]);
    std::vector<Tensor<T>> pieces;
    std::size_t start = 0;
    for (std::size_t n : sizes) {
        pieces.push_back(narrow(x, static_cast<long>(axis), start, n));
        start += n;
    }
    return pieces;
}

template <class T>
std::vector<Tensor<T>> chunk(const Tensor<T>& x, std::size_t chunks, long axis_arg) {
    const std::size_t axis = detail::normalize_axis("chunk", axis_arg, x.dim());
    TG_CHECK(chunks > 0, ValueError, "chunk: the number of chunks must be at least 1");
    const std::size_t n = x.shape()[axis],
                      each = std::max<std::size_t>(1, (n + chunks - 1) / chunks);
    Indices sizes;
    for (std::size_t start = 0; start < n; start += each)
        sizes.push_back(std::min(each, n - start));
    if (sizes.empty()) sizes.push_back(0);
    return split(x, sizes, static_cast<long>(axis));
}

template <class T>
Tensor<T> pad(const Tensor<T>& x, const std::vector<std::pair<std::size_t, std::size_t>>& widths,
              T value) {
    const Shape s = x.shape();
    TG_CHECK(widths.size() == s.size(), ShapeError, "pad: ", widths.size(),
             " (before, after) pairs for a tensor of shape ", s, "; give one pair per axis (",
             s.size(), ")");
    Shape padded;
    std::vector<Indices> middle(s.size());
    for (std::size_t k = 0; k < s.size(); ++k) {
        padded.push_back(widths[k].first + s[k] + widths[k].second);
        middle[k].resize(s[k]);
        std::iota(middle[k].begin(), middle[k].end(), widths[k].first);
    }
    const Positions p = positions_of(padded, middle);
    Tensor<T> y = scatter_at("pad", x, p, padded);
    if (value == T(0)) return y;
    // value where nothing was scattered: a constant of the same shape, not recorded.
    Array<T> fill = Array<T>::from_shape(padded);
    std::fill(fill.begin(), fill.end(), value);
    for (std::size_t i : *p) fill.data()[i] = T(0);
    return y + Tensor<T>(std::move(fill));
}

template <class T>
Tensor<T> flip(const Tensor<T>& x, const std::vector<long>& axes) {
    std::vector<Indices> picks = all_of(x.shape());
    std::vector<bool> seen(x.dim(), false);
    for (long a : axes) {
        const std::size_t axis = detail::normalize_axis("flip", a, x.dim());
        TG_CHECK(!seen[axis], ValueError, "flip: axis ", axis, " is listed twice");
        seen[axis] = true;
        std::reverse(picks[axis].begin(), picks[axis].end());
    }
    return pick("flip", x, picks);
}

template <class T>
Tensor<T> repeat(const Tensor<T>& x, const Indices& reps) {
    TG_CHECK(reps.size() >= x.dim(), ShapeError, "repeat: ", reps.size(),
             " repeats for a tensor of shape ", x.shape(),
             "; give at least one per axis (numpy's tile accepts fewer: tg::tile)");
    Shape s(reps.size() - x.dim(), 1);  // leading axes of size 1 first
    const Shape xs = x.shape();
    s.insert(s.end(), xs.begin(), xs.end());
    std::vector<Indices> picks(s.size());
    for (std::size_t k = 0; k < s.size(); ++k)
        for (std::size_t i = 0; i < s[k] * reps[k]; ++i) picks[k].push_back(i % s[k]);
    return gather_at("repeat", x, positions_of(s, picks), shape_of(picks));
}

template <class T>
Tensor<T> tile(const Tensor<T>& x, const Indices& reps) {
    Indices full(x.dim() > reps.size() ? x.dim() - reps.size() : 0, 1);
    full.insert(full.end(), reps.begin(), reps.end());
    return repeat(x, full);
}

template <class T>
Tensor<T> tril(const Tensor<T>& x, long k) {
    return triangle("tril", x, k, true);
}

template <class T>
Tensor<T> triu(const Tensor<T>& x, long k) {
    return triangle("triu", x, k, false);
}

#define TG_INDEX_INSTANTIATE(T)                                                                 \
    template Tensor<T> slice(const Tensor<T>&, long, long, long, long);                         \
    template Tensor<T> select(const Tensor<T>&, long, long);                                    \
    template Tensor<T> index_select(const Tensor<T>&, long, const Indices&);                    \
    template Tensor<T> gather(const Tensor<T>&, long, const Tensor<T>&);                        \
    template Tensor<T> scatter_add(const Tensor<T>&, long, const Tensor<T>&, const Tensor<T>&); \
    template Tensor<std::int64_t> to_int64(const Tensor<T>&);                                   \
    template Tensor<T> to_floating(const Tensor<std::int64_t>&);                                \
    template Tensor<T> index_select<T, std::int64_t>(const Tensor<T>&, long,                    \
                                                     const Tensor<std::int64_t>&);              \
    template Tensor<T> gather<T, std::int64_t>(const Tensor<T>&, long,                          \
                                               const Tensor<std::int64_t>&);                    \
    template Tensor<T> scatter_add<T, std::int64_t>(                                            \
        const Tensor<T>&, long, const Tensor<std::int64_t>&, const Tensor<T>&);                 \
    template Tensor<T> stack(const std::vector<Tensor<T>>&, long);                              \
    template std::vector<Tensor<T>> split(const Tensor<T>&, const Indices&, long);              \
    template std::vector<Tensor<T>> chunk(const Tensor<T>&, std::size_t, long);                 \
    template Tensor<T> squeeze(const Tensor<T>&);                                               \
    template Tensor<T> squeeze(const Tensor<T>&, long);                                         \
    template Tensor<T> unsqueeze(const Tensor<T>&, long);                                       \
    template Tensor<T> flatten(const Tensor<T>&, long, long);                                   \
    template Tensor<T> pad(const Tensor<T>&,                                                    \
                           const std::vector<std::pair<std::size_t, std::size_t>>&, T);         \
    template Tensor<T> flip(const Tensor<T>&, const std::vector<long>&);                        \
    template Tensor<T> repeat(const Tensor<T>&, const Indices&);                                \
    template Tensor<T> tile(const Tensor<T>&, const Indices&);                                  \
    template Tensor<T> tril(const Tensor<T>&, long);                                            \
    template Tensor<T> triu(const Tensor<T>&, long);
TG_INDEX_INSTANTIATE(float)
TG_INDEX_INSTANTIATE(double)
// Index tensors: the shape changes made of reshape (see shape.hpp).
template Tensor<std::int64_t> squeeze(const Tensor<std::int64_t>&);
template Tensor<std::int64_t> squeeze(const Tensor<std::int64_t>&, long);
template Tensor<std::int64_t> unsqueeze(const Tensor<std::int64_t>&, long);
template Tensor<std::int64_t> flatten(const Tensor<std::int64_t>&, long, long);

}  // namespace tg
