#pragma once
// Ops that move or reshape values: sum_to, broadcast_to, reshape, transpose, permute,
// concat, rows (gather) and index_add_rows (its scatter-add adjoint).

#include <tapegrad/tensor.hpp>

#include <initializer_list>
#include <vector>

namespace tg {

/// Sums a broadcast tensor back to `shape` (the adjoint of broadcast_to): leading axes
/// are summed away, axes where `shape` has 1 are summed with keepdims.
/// d/dx = broadcast_to(g, shape(x)). Returns x itself when the shapes are equal.
template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape);

/// Broadcasts x to `shape` (numpy rules).  d/dx = sum_to(g, shape(x)).
template <class T>
Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape);

/// Same values in a new shape of the same size, sharing x's storage (no copy; a change
/// of x is seen through it).  d/dx = reshape(g, shape(x)).
template <class T>
Tensor<T> reshape(const Tensor<T>& x, const Shape& shape);
/// reshape of an index tensor (`target.view(-1)` in PyTorch): the same view, never
/// recorded. flatten, squeeze and unsqueeze, made of reshape, take index tensors too.
template <>
Tensor<std::int64_t> reshape(const Tensor<std::int64_t>& x, const Shape& shape);

/// torch.Tensor.view: x's values in a new shape of the same size, always sharing x's
/// storage (tg::ShapeError for another number of elements). Every tensor is contiguous
/// today, so view and reshape agree; once strided views exist (issue 27, stage 2),
/// reshape copies where view refuses.  d/dx = view(g, shape(x)).
template <class T>
Tensor<T> view(const Tensor<T>& x, const Shape& shape);

/// Reverses the axes (a matrix transpose for 2-D).  d/dx = transpose(g).
template <class T>
Tensor<T> transpose(const Tensor<T>& x);

/// y's axis i is x's axis perm[i].  d/dx = permute(g, inverse(perm)).
template <class T>
Tensor<T> permute(const Tensor<T>& x, const std::vector<std::size_t>& perm);

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

/// The slice [start, start + length) of x along `axis`: a view of x (no copy) when the
/// slice is one run of x's elements (axis 0, or only axes of size 1 before it), else a copy.
/// d/dx = g placed at [start, start + length) of zeros of x's shape.
template <class T>
Tensor<T> narrow(const Tensor<T>& x, long axis, std::size_t start, std::size_t length);

namespace detail {

/// For op authors: a tensor of `shape` over x's storage from element `offset` of x on (no
/// copy, not recorded). Its node's view_base is x's base, whose version counter it shares.
template <class T>
Tensor<T> view_of(const Tensor<T>& x, const Shape& shape, std::size_t offset);

/// x placed at [start, start + x's size along axis) along `axis` of zeros of `shape`
/// (narrow's adjoint, recorded as "embed").  d/dx = narrow(g, axis, start, length).
template <class T>
Tensor<T> embed(const Tensor<T>& x, std::size_t axis, std::size_t start, const Shape& shape);

}  // namespace detail

}  // namespace tg
