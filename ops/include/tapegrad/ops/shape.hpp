#pragma once
// Ops that move or reshape values: sum_to, broadcast_to, reshape, transpose, permute,
// concat, rows (gather) and index_add_rows (its scatter-add adjoint).

#include <tapegrad/detail/layout.hpp>
#include <tapegrad/tensor.hpp>

#include <functional>
#include <initializer_list>
#include <vector>

namespace tg {

/// Sums a broadcast tensor back to `shape` (the adjoint of broadcast_to): leading axes
/// are summed away, axes where `shape` has 1 are summed with keepdims.
/// d/dx = broadcast_to(g, shape(x)). Returns x itself when the shapes are equal.
template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape);

/// Broadcasts x to `shape` (numpy rules; torch.expand): a view of x (no copy) whose
/// repeated entries are one element of x (stride 0).  d/dx = sum_to(g, shape(x)).
template <class T>
Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape);

/// Same values in a new shape of the same size, sharing x's storage (no copy; a change
/// of x is seen through it) when x's strides allow it, as view does; otherwise a view of
/// a contiguous() copy, as torch.reshape.  d/dx = reshape(g, shape(x)).
template <class T>
Tensor<T> reshape(const Tensor<T>& x, const Shape& shape);
/// reshape of an index tensor (`target.view(-1)` in PyTorch): the same view, never
/// recorded. flatten, squeeze and unsqueeze, made of reshape, take index tensors too.
template <>
Tensor<std::int64_t> reshape(const Tensor<std::int64_t>& x, const Shape& shape);

/// torch.Tensor.view: x's values in a new shape of the same size, always sharing x's
/// storage (tg::ShapeError for another number of elements, or for a strided x whose
/// axes the new shape would cross: a transpose seen as one axis; use reshape, which
/// copies then).  d/dx = view(g, shape(x)).
template <class T>
Tensor<T> view(const Tensor<T>& x, const Shape& shape);

/// Reverses the axes (a matrix transpose for 2-D): a view of x (no copy).
/// d/dx = transpose(g).
template <class T>
Tensor<T> transpose(const Tensor<T>& x);

/// y's axis i is x's axis perm[i]: a view of x (no copy).  d/dx = permute(g, inverse(perm)).
template <class T>
Tensor<T> permute(const Tensor<T>& x, const std::vector<std::size_t>& perm);

/// The diagonal of axes axis1 and axis2, shifted above the main diagonal by `offset`
/// (below when negative), as a new last axis (torch.diagonal): a view of x (no copy).
/// d/dx = g added into the diagonal of x's gradient.
template <class T>
Tensor<T> diagonal(const Tensor<T>& x, long offset = 0, long axis1 = 0, long axis2 = 1);

/// Joins tensors along `axis` (all other sizes equal).  d/dx_k = the k-th slice of g.
template <class T>
Tensor<T> concat(const std::vector<Tensor<T>>& xs, long axis = 0);
/// concat({a, b}, axis): a braced list of tensors.
template <class T>
Tensor<T> concat(std::initializer_list<Tensor<T>> xs, long axis = 0) {
    return concat(std::vector<Tensor<T>>(xs), axis);
}

/// Gathers rows (axis 0) of x; repeats allowed.  d/dx = index_add_rows(g, indices, rows(x)).
template <class T>
Tensor<T> rows(const Tensor<T>& x, const Indices& indices);

/// A tensor of n_rows rows (other dims as x's) where row indices[i] accumulates x's
/// row i.  d/dx = rows(g, indices).
template <class T>
Tensor<T> index_add_rows(const Tensor<T>& x, const Indices& indices, std::size_t n_rows);

}  // namespace tg

namespace tg {

/// The slice [start, start + length) of x along `axis`: a view of x (no copy).
/// d/dx = g added into [start, start + length) of x's gradient.
template <class T>
Tensor<T> narrow(const Tensor<T>& x, long axis, std::size_t start, std::size_t length);

namespace detail {

/// For op authors: a tensor of `shape` over x's storage from element `offset` of x on (no
/// copy, not recorded). Its node's view_base is x's base, whose version counter it shares.
template <class T>
Tensor<T> view_of(const Tensor<T>& x, const Shape& shape, std::size_t offset);

/// For op authors: x's elements as a layout over its storage (a strided view's own
/// layout; row-major from x's first element otherwise). Kernels that take strides read
/// it with x.node()->strided->storage, or x.value().data() when x is contiguous, instead
/// of value(), which copies a strided view.
template <class T>
Layout layout_of(const Tensor<T>& x);

/// For op authors: the view op `name` whose layout is map(x's layout) (detail/layout.hpp:
/// permuted, stepped, selected, ...), recorded; its backward adds the gradient into the
/// window map(row-major layout of x) of x's gradient. A result that is row-major is an
/// ordinary contiguous view; otherwise is_contiguous() is false.
template <class T>
Tensor<T> strided_view(const char* name, const Tensor<T>& x,
                       const std::function<Layout(const Layout&)>& map);

/// The elements of x at `window`, a layout over x's row-major positions (torch.as_strided
/// on a contiguous x), as a view, recorded as "as_strided".
/// d/dx = scatter_window(g, window, shape(x)).
template <class T>
Tensor<T> as_strided(const Tensor<T>& x, const Layout& window);

/// Zeros of `shape` with x added into `window` (a layout over its row-major positions;
/// positions met twice get both), recorded as "scatter_window": the adjoint of as_strided.
/// d/dx = as_strided(g, window).
template <class T>
Tensor<T> scatter_window(const Tensor<T>& x, const Layout& window, const Shape& shape);

}  // namespace detail

}  // namespace tg
