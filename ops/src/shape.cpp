#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/detail/copy_counter.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "gather_rows.hpp"
#include "kernels.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xreducer.hpp>

namespace tg {
namespace {

/// A block [start, start + length) along `axis` of a row-major tensor of `shape`: `outer`
/// runs of `run` contiguous elements, one every `stride` elements from `offset` (concat
/// copies them with copy_n; xtensor's strided view stepped element by element and was a
/// fifth of an LSTM step).
struct Block {
    std::size_t outer, run, stride, offset;
};
Block block_of(const Shape& shape, std::size_t axis, std::size_t start, std::size_t length) {
    std::size_t outer = 1, inner = 1;
    for (std::size_t k = 0; k < axis; ++k) outer *= shape[k];
    for (std::size_t k = axis + 1; k < shape.size(); ++k) inner *= shape[k];
    return {outer, length * inner, shape[axis] * inner, start * inner};
}

}  // namespace

namespace detail {

template <class T>
Tensor<T> view_of(const Tensor<T>& x, const Shape& shape, std::size_t offset) {
    const auto& node = x.node();
    Tensor<T> y(alias(x.value(), shape, offset));
    y.node()->view_base = node->view_base ? node->view_base : node;
    return y;
}

template <class T>
Layout layout_of(const Tensor<T>& x) {
    const Node<T>& n = *x.node();
    return n.strided ? n.strided->layout : contiguous_layout(x.shape());
}

/// A view of x's storage with layout `l` (over what layout_of(x) indexes), not recorded:
/// an ordinary Array over the run when `l` is row-major, else a strided node.
template <class T>
Tensor<T> view_with(const Tensor<T>& x, const Layout& l) {
    const auto& node = x.node();
    const SharedBuffer<T>& source = node->strided ? node->strided->storage : node->value.storage();
    std::shared_ptr<Node<T>> y;
    if (is_contiguous(l)) {
        const Layout row_major = contiguous_layout(l.shape);
        typename Array<T>::inner_shape_type sizes(l.shape.begin(), l.shape.end());
        typename Array<T>::inner_strides_type strides(row_major.strides.begin(),
                                                      row_major.strides.end());
        y = std::allocate_shared<Node<T>>(
            PoolAllocator<Node<T>>(),
            Array<T>(SharedBuffer<T>::alias(source, l.offset, l.size()), std::move(sizes),
                     std::move(strides)),
            false);
    } else {
        y = std::allocate_shared<Node<T>>(PoolAllocator<Node<T>>());
        y->strided = std::make_unique<Strided<T>>();
        y->strided->layout = l;
        y->strided->storage = SharedBuffer<T>::alias(source, 0, source.size());
    }
    y->view_base = node->view_base ? node->view_base : node;
    return Tensor<T>(std::move(y));
}

/// A view op's backward: g added into `window` of input i's gradient, in place when the
/// sweep allows it (BackwardContext::add_window_in_place), else through scatter_window.
template <class T>
void add_to_window(BackwardContext<T>& c, std::size_t i, const Tensor<T>& g, const Layout& window) {
    if (!c.add_window_in_place(i, g, window)) c.add(i, scatter_window(g, window, c.input_shape(i)));
}

template <class T>
Tensor<T> strided_view(const char* name, const Tensor<T>& x,
                       const std::function<Layout(const Layout&)>& map) {
    Tensor<T> y = view_with(x, map(layout_of(x)));
    if (x.requires_grad())
        record(name, {x}, y, {},
               [window = map(contiguous_layout(x.shape()))](BackwardContext<T>& c) {
                   add_to_window(c, 0, c.grad(), window);
               });
    return y;
}

template <class T>
Tensor<T> as_strided(const Tensor<T>& x, const Layout& window) {
    const Tensor<T> dense = x.contiguous();  // window indexes row-major positions
    Tensor<T> y = view_with(dense, window);
    record("as_strided", {dense}, y, {},
           [window](BackwardContext<T>& c) { add_to_window(c, 0, c.grad(), window); });
    return y;
}

template <class T>
Tensor<T> scatter_window(const Tensor<T>& x, const Layout& window, const Shape& shape) {
    Tensor<T> y = Tensor<T>::uninitialized(shape);
    T* out = y.node()->value.data();
    std::fill(out, out + y.size(), T(0));
    add_strided(out, window, x.value().data());
    detail::count_moved<T>(y.size());  // the zeros and the window written
    record("scatter_window", {x}, y, {},
           [window](BackwardContext<T>& c) { c.add(0, as_strided(c.grad(), window)); });
    return y;
}

}  // namespace detail

namespace {

/// sum_to's backward: d(sum_to(x)) = broadcast_to(dy, x's shape).
template <class T>
void record_sum_to(const Tensor<T>& x, const Tensor<T>& y) {
    record("sum_to", {x}, y, {},
           [](BackwardContext<T>& c) { c.add(0, broadcast_to(c.grad(), c.input_shape(0))); });
}

}  // namespace

template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape) {
    const auto& current = x.value().shape();
    if (std::equal(current.begin(), current.end(), shape.begin(), shape.end())) return x;
    if (x.size() != 0 && shape.size() <= current.size() &&
        detail::is_trailing_block(shape, current)) {
        // Summed over leading axes only (a bias gradient): the column sums of x seen as
        // (rows, |shape|).
        Tensor<T> y = Tensor<T>::uninitialized(shape);
        const std::size_t width = y.size();  // > 0, as x has elements
        detail::sum_rows(x.value().data(), x.size() / width, width, y.node()->value.data());
        record_sum_to(x, y);
        return y;
    }
    const Shape& from = x.shape();
    TG_CHECK(detail::broadcasts_to(shape, from), ShapeError, "sum_to: cannot sum shape ", from,
             " to ", shape, ": the target must broadcast to the source shape");
    Shape axes;  // the summed axes (inline storage, like a shape)
    const std::size_t lead = from.size() - shape.size();
    for (std::size_t i = 0; i < lead; ++i) axes.push_back(i);
    for (std::size_t i = 0; i < shape.size(); ++i)
        if (shape[i] == 1 && from[lead + i] != 1) axes.push_back(lead + i);
    Tensor<T> y = Tensor<T>::uninitialized(shape);
    Array<T>& reduced = y.node()->value;
    if (x.size() == 0) {
        reduced.fill(T(0));  // an empty sum; xtensor's reducer crashes on it
    } else {
        // Evaluated at once: lazy xtensor reducers are slow and, with keep_dims inside a
        // broadcast, wrong in 0.24.3 (docs/notes.md).
        reduced = xt::sum(x.value(), axes, xt::evaluation_strategy::immediate);
        reduced.reshape(shape);
    }
    record_sum_to(x, y);
    return y;
}

template <class T>
Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape) {
    const auto& current = x.value().shape();
    if (std::equal(current.begin(), current.end(), shape.begin(), shape.end())) return x;
    const Shape& from = x.shape();
    TG_CHECK(detail::broadcasts_to(from, shape), ShapeError, "broadcast_to: shape ", from,
             " cannot be broadcast to ", shape,
             " (sizes must be equal or 1, aligned from the right)");
    Tensor<T> y = detail::view_with(x, detail::expanded(detail::layout_of(x), shape));
    record("broadcast_to", {x}, y, {},
           [](BackwardContext<T>& c) { c.add(0, sum_to(c.grad(), c.input_shape(0))); });
    return y;
}

template <class T>
Tensor<T> reshape(const Tensor<T>& x, const Shape& shape) {
    const std::size_t n =
        std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
    TG_CHECK(n == x.size(), ShapeError, "reshape: cannot reshape a tensor of shape ", x.shape(),
             " (", x.size(), " elements) to ", shape, " (", n, " elements)");
    Tensor<T> y;
    detail::Layout l;
    if (x.is_contiguous()) {
        y = detail::view_of(x, shape, 0);
    } else if (detail::restrided(detail::layout_of(x), shape, l)) {
        y = detail::view_with(x, l);
    } else {
        return reshape(x.contiguous(), shape);  // as torch.reshape: a copy, then a view
    }
    record("reshape", {x}, y, {},
           [](BackwardContext<T>& c) { c.add(0, reshape(c.grad(), c.input_shape(0))); });
    return y;
}

template <>
Tensor<std::int64_t> reshape(const Tensor<std::int64_t>& x, const Shape& shape) {
    const std::size_t n =
        std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
    TG_CHECK(n == x.size(), ShapeError, "reshape: cannot reshape a tensor of shape ", x.shape(),
             " (", x.size(), " elements) to ", shape, " (", n, " elements)");
    return detail::view_of(x, shape, 0);  // indices have no gradient: nothing to record
}

template <class T>
Tensor<T> view(const Tensor<T>& x, const Shape& shape) {
    const std::size_t n =
        std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
    TG_CHECK(n == x.size(), ShapeError, "view: cannot view a tensor of shape ", x.shape(), " (",
             x.size(), " elements) as ", shape, " (", n,
             " elements); a view keeps the number of elements");
    Tensor<T> y;
    detail::Layout l;
    if (x.is_contiguous()) {
        y = detail::view_of(x, shape, 0);
    } else {
        TG_CHECK(detail::restrided(detail::layout_of(x), shape, l), ShapeError,
                 "view: a strided tensor of shape ", x.shape(), " (strides ",
                 detail::layout_of(x).strides, ") cannot be seen as ", shape,
                 " without a copy: the new axes would cross its strides; use reshape (which "
                 "copies then) or contiguous() first");
        y = detail::view_with(x, l);
    }
    record("view", {x}, y, {},
           [](BackwardContext<T>& c) { c.add(0, view(c.grad(), c.input_shape(0))); });
    return y;
}

template <class T>
Tensor<T> permute(const Tensor<T>& x, const std::vector<std::size_t>& perm) {
    const std::size_t rank = x.dim();
    std::vector<std::size_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::size_t> identity(rank);
    std::iota(identity.begin(), identity.end(), std::size_t{0});
    TG_CHECK(sorted == identity, ShapeError, "permute: ", perm, " is not a permutation of the ",
             rank, " axes of a tensor of shape ", x.shape());
    Tensor<T> y = detail::view_with(x, detail::permuted(detail::layout_of(x), perm));
    std::vector<std::size_t> inverse(rank);
    for (std::size_t i = 0; i < rank; ++i) inverse[perm[i]] = i;
    record("permute", {x}, y, {},
           [inverse](BackwardContext<T>& c) { c.add(0, permute(c.grad(), inverse)); });
    return y;
}

template <class T>
Tensor<T> transpose(const Tensor<T>& x) {
    std::vector<std::size_t> perm(x.dim());
    std::iota(perm.rbegin(), perm.rend(), std::size_t{0});
    return permute(x, perm);
}

template <class T>
Tensor<T> narrow(const Tensor<T>& x, long axis_arg, std::size_t start, std::size_t length) {
    const std::size_t axis = detail::normalize_axis("narrow", axis_arg, x.dim());
    const Shape shape = x.shape();
    TG_CHECK(start + length <= shape[axis], ValueError, "narrow: slice [", start, ", ",
             start + length, ") is past the end of axis ", axis, " of a tensor of shape ", shape);
    return detail::strided_view<T>("narrow", x, [=](const detail::Layout& l) {
        return detail::stepped(l, axis, start, length, 1);
    });
}

template <class T>
Tensor<T> diagonal(const Tensor<T>& x, long offset, long axis1_arg, long axis2_arg) {
    const std::size_t a = detail::normalize_axis("diagonal", axis1_arg, x.dim());
    const std::size_t b = detail::normalize_axis("diagonal", axis2_arg, x.dim());
    TG_CHECK(a != b, ValueError, "diagonal: axis1 and axis2 are both axis ", a, " (shape ",
             x.shape(), "); a diagonal needs two different axes");
    return detail::strided_view<T>("diagonal", x, [=](const detail::Layout& l) {
        return detail::diagonal_of(l, offset, a, b);
    });
}

template <class T>
Tensor<T> concat(const std::vector<Tensor<T>>& xs, long axis_arg) {
    TG_CHECK(!xs.empty(), ValueError, "concat: needs at least one tensor");
    const Shape first = xs[0].shape();
    TG_CHECK(!first.empty(), ShapeError,
             "concat: cannot concatenate 0-d tensors (reshape them to (1) first)");
    const std::size_t axis = detail::normalize_axis("concat", axis_arg, first.size());
    Shape out_shape = first;
    out_shape[axis] = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        Shape s = xs[k].shape();
        Shape a = s, b = first;
        if (s.size() == first.size()) a[axis] = b[axis] = 0;
        TG_CHECK(a == b, ShapeError, "concat: tensor #", k, " has shape ", s,
                 " but tensor #0 has shape ", first, "; all sizes except along axis ", axis,
                 " must match");
        out_shape[axis] += s[axis];
    }
    Tensor<T> y = Tensor<T>::uninitialized(out_shape);
    T* out = y.node()->value.data();
    std::size_t offset = 0;
    for (const auto& x : xs) {
        const std::size_t len = x.shape()[axis];
        const Block b = block_of(out_shape, axis, offset, len);
        const T* in = x.value().data();
        for (std::size_t o = 0; o < b.outer; ++o)
            std::copy_n(in + o * b.run, b.run, out + b.offset + o * b.stride);
        offset += len;
    }
    detail::count_moved<T>(y.size());
    record("concat", xs, y, {}, [axis](BackwardContext<T>& c) {
        std::size_t start = 0;
        for (std::size_t k = 0; k < c.num_inputs(); ++k) {
            const std::size_t len = c.input_shape(k)[axis];
            if (c.needs(k)) c.add(k, narrow(c.grad(), static_cast<long>(axis), start, len));
            start += len;
        }
    });
    return y;
}

namespace {
/// Elements per row (axis 0): the product of the other dimensions.
template <class T>
std::size_t row_size(const Array<T>& a) {
    std::size_t n = 1;
    for (std::size_t d = 1; d < a.dimension(); ++d) n *= a.shape()[d];
    return n;
}
}  // namespace

namespace detail {

template <class T>
Tensor<T> gather_rows(const char* op, const Tensor<T>& x, const Indices& indices) {
    TG_CHECK(x.dim() > 0, ShapeError, op, ": needs a tensor of rank >= 1, got a 0-d tensor");
    const Array<T>& v = x.value();
    const std::size_t n_rows = v.shape()[0], width = row_size(v);
    Shape out_shape = x.shape();
    out_shape[0] = indices.size();
    Tensor<T> y = Tensor<T>::uninitialized(out_shape);
    T* out = y.node()->value.data();
    for (std::size_t i = 0; i < indices.size(); ++i) {
        TG_CHECK(indices[i] < n_rows, ValueError, op, ": index ", indices[i], " (position ", i,
                 ") is out of range for a tensor with ", n_rows, " rows");
        std::copy_n(v.data() + indices[i] * width, width, out + i * width);
    }
    detail::count_moved<T>(y.size());
    // d/dx = index_add_rows(g, indices, n_rows), added in place into x's gradient when
    // that is possible (an embedding table with tied logits: no dense zero-fill).
    record(op, {x}, y, {}, [indices, n_rows](BackwardContext<T>& c) {
        if (!c.add_rows_in_place(0, c.grad(), indices))
            c.add(0, index_add_rows(c.grad(), indices, n_rows));
    });
    return y;
}

template Tensor<float> gather_rows(const char*, const Tensor<float>&, const Indices&);
template Tensor<double> gather_rows(const char*, const Tensor<double>&, const Indices&);

}  // namespace detail

template <class T>
Tensor<T> rows(const Tensor<T>& x, const Indices& indices) {
    return detail::gather_rows("rows", x, indices);
}

template <class T>
Tensor<T> index_add_rows(const Tensor<T>& x, const Indices& indices, std::size_t n_rows) {
    TG_CHECK(x.dim() > 0 && x.shape()[0] == indices.size(), ShapeError,
             "index_add_rows: tensor of shape ", x.shape(), " needs one row per index (",
             indices.size(), " indices)");
    const Array<T>& v = x.value();
    const std::size_t width = row_size(v);
    Shape out_shape = x.shape();
    out_shape[0] = n_rows;
    Array<T> out = xt::zeros<T>(out_shape);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        TG_CHECK(indices[i] < n_rows, ValueError, "index_add_rows: index ", indices[i],
                 " is out of range for ", n_rows, " rows");
        T* dst = out.data() + indices[i] * width;
        const T* src = v.data() + i * width;
        for (std::size_t j = 0; j < width; ++j) dst[j] += src[j];
    }
    detail::count_moved<T>(x.size());
    Tensor<T> y(std::move(out));
    record("index_add_rows", {x}, y, {},
           [indices](BackwardContext<T>& c) { c.add(0, rows(c.grad(), indices)); });
    return y;
}

#define TG_INSTANTIATE(T)                                                              \
    template Tensor<T> sum_to(const Tensor<T>&, const Shape&);                         \
    template Tensor<T> broadcast_to(const Tensor<T>&, const Shape&);                   \
    template Tensor<T> reshape(const Tensor<T>&, const Shape&);                        \
    template Tensor<T> view(const Tensor<T>&, const Shape&);                           \
    template Tensor<T> detail::view_of(const Tensor<T>&, const Shape&, std::size_t);   \
    template detail::Layout detail::layout_of(const Tensor<T>&);                       \
    template Tensor<T> detail::strided_view(                                           \
        const char*, const Tensor<T>&,                                                 \
        const std::function<detail::Layout(const detail::Layout&)>&);                  \
    template Tensor<T> detail::as_strided(const Tensor<T>&, const detail::Layout&);    \
    template Tensor<T> detail::scatter_window(const Tensor<T>&, const detail::Layout&, \
                                              const Shape&);                           \
    template Tensor<T> diagonal(const Tensor<T>&, long, long, long);                   \
    template Tensor<T> transpose(const Tensor<T>&);                                    \
    template Tensor<T> permute(const Tensor<T>&, const std::vector<std::size_t>&);     \
    template Tensor<T> narrow(const Tensor<T>&, long, std::size_t, std::size_t);       \
    template Tensor<T> concat(const std::vector<Tensor<T>>&, long);                    \
    template Tensor<T> rows(const Tensor<T>&, const Indices&);                         \
    template Tensor<T> index_add_rows(const Tensor<T>&, const Indices&, std::size_t);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
