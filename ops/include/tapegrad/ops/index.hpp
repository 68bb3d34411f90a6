#pragma once
// Indexing and shape ops, as PyTorch and numpy name them: slice, select, index_select,
// gather / scatter_add, stack, split / chunk, squeeze / unsqueeze, flatten, pad, flip,
// repeat / tile, tril / triu.
//
// Each one moves values without arithmetic, so each is a gather y[i] = x[p(i)] or its
// adjoint, a scatter-add, over a list of positions p (ops/src/index.cpp): the backward of
// a gather is the scatter-add of the gradient to the same positions, and the other way
// round, both recorded ops, so second derivatives work too. Axes may be negative
// (counted from the end); errors name the op, what it expected and what it got, and
// record nothing.
//
// Indices are a Tensor<std::int64_t> (PyTorch's LongTensor), or, as before it existed,
// whole numbers in a float or double tensor; to_int64 and to_floating convert.

#include <tapegrad/array.hpp>
#include <tapegrad/tensor.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg {

namespace detail {
/// Enables an overload for index tensors only (I = std::int64_t). A template parameter
/// rather than a plain Tensor<std::int64_t> keeps braced lists (`{0, 2}`), which cannot
/// deduce I, going to the float-index overload as before.
template <class I>
using if_index_t = std::enable_if_t<std::is_same_v<I, std::int64_t>, int>;
}  // namespace detail

/// x's values as indices (torch.Tensor.long()): tg::ValueError for an element that is not
/// a whole number in int64's range (NaN, ±inf, 0.5). Not recorded: the result never
/// requires a gradient.
template <class T>
Tensor<std::int64_t> to_int64(const Tensor<T>& x);

/// Indices as values of type T (torch.Tensor.double() / .float()): `to_floating<double>(i)`.
/// Exact up to 2⁵³ (double) or 2²⁴ (float), rounded to nearest beyond. Does not require a
/// gradient.
template <class T>
Tensor<T> to_floating(const Tensor<std::int64_t>& indices);

/// "Up to the end of the axis", for slice's stop.
inline constexpr long kEnd = LONG_MAX;

/// x[start:stop:step] along `axis`, as numpy slices: negative start and stop count from
/// the end, both are clipped to the axis; step >= 1 (flip reverses).
/// d/dx = g scattered back to the sliced positions, zeros elsewhere.
template <class T>
Tensor<T> slice(const Tensor<T>& x, long axis, long start, long stop = kEnd, long step = 1);

/// x[..., i, ...] with `axis` removed (torch.select); a negative i counts from the end.
template <class T>
Tensor<T> select(const Tensor<T>& x, long axis, long index);

/// The entries `indices` along `axis`, in that order, repeats allowed
/// (torch.index_select).  d/dx = g added back into each entry it came from.
template <class T>
Tensor<T> index_select(const Tensor<T>& x, long axis, const Indices& indices);
/// index_select with the indices in a 0-d or 1-d Tensor<std::int64_t>, as torch.index_select
/// takes them; tg::ValueError for an index outside [0, size of axis) (negative ones too, as
/// PyTorch's "index out of range").
template <class T, class I, detail::if_index_t<I> = 0>
Tensor<T> index_select(const Tensor<T>& x, long axis, const Tensor<I>& indices);

/// numpy's take_along_axis / torch.gather: y has index's shape and
/// y[..., j, ...] = x[..., index[..., j, ...], ...] along `axis`. `index` holds whole
/// numbers in x's type here (the overload below takes an int64 index tensor, what argmax
/// returns), each below x's size on `axis`; its other sizes at most x's.
/// d/dx = scatter_add of g.
template <class T>
Tensor<T> gather(const Tensor<T>& x, long axis, const Tensor<T>& index);
/// gather with a Tensor<std::int64_t> index, PyTorch's type; the same result and
/// gradients. tg::ValueError for an index outside [0, size of axis) (negative ones too).
template <class T, class I, detail::if_index_t<I> = 0>
Tensor<T> gather(const Tensor<T>& x, long axis, const Tensor<I>& index);

/// torch.scatter_add: x with src[..., j, ...] added at x[..., index[..., j, ...], ...] along
/// `axis` (index and src of one shape).  d/dx = g, d/dsrc = gather(g, axis, index).
template <class T>
Tensor<T> scatter_add(const Tensor<T>& x, long axis, const Tensor<T>& index, const Tensor<T>& src);
/// scatter_add with a Tensor<std::int64_t> index, PyTorch's type; the same result and
/// gradients. tg::ValueError for an index outside [0, size of axis) (negative ones too).
template <class T, class I, detail::if_index_t<I> = 0>
Tensor<T> scatter_add(const Tensor<T>& x, long axis, const Tensor<I>& index, const Tensor<T>& src);

/// Joins tensors of one shape along a new axis (axis may be negative: -1 is last).
/// d/dx_k = select(g, axis, k).
template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& xs, long axis = 0);
/// stack({a, b}, axis): a braced list of tensors.
template <class T>
Tensor<T> stack(std::initializer_list<Tensor<T>> xs, long axis = 0) {
    return stack(std::vector<Tensor<T>>(xs), axis);
}

/// Consecutive pieces of the given sizes along `axis` (they must add up to its size),
/// as torch.split with a list of sizes.
template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& x, const Indices& sizes, long axis = 0);

/// `chunks` pieces along `axis` as torch.chunk: each of ceil(n / chunks) entries, the last
/// smaller; fewer pieces when n does not allow that many.
template <class T>
std::vector<Tensor<T>> chunk(const Tensor<T>& x, std::size_t chunks, long axis = 0);

/// x without its axes of size 1.
template <class T>
Tensor<T> squeeze(const Tensor<T>& x);
/// x without `axis`, which must have size 1.
template <class T>
Tensor<T> squeeze(const Tensor<T>& x, long axis);

/// x with a new axis of size 1 at position `axis` (in the result: -1 appends).
template <class T>
Tensor<T> unsqueeze(const Tensor<T>& x, long axis);

/// x with axes start..end (inclusive, as torch.flatten) merged into one.
template <class T>
Tensor<T> flatten(const Tensor<T>& x, long start = 0, long end = -1);

/// x padded with `value`: widths[k] = (before, after) entries on axis k, one pair per axis
/// (numpy.pad with mode 'constant'; torch's F.pad lists the last axis first instead).
/// d/dx = the middle of g.
template <class T>
Tensor<T> pad(const Tensor<T>& x, const std::vector<std::pair<std::size_t, std::size_t>>& widths,
              T value = T(0));

/// x with the order of entries reversed along each of `axes` (torch.flip).
template <class T>
Tensor<T> flip(const Tensor<T>& x, const std::vector<long>& axes);

/// torch's Tensor.repeat, which is numpy's tile: x repeated reps[k] times along axis k.
/// With more reps than axes, x gets leading axes of size 1 first. (Not numpy's repeat,
/// which repeats each element.)  d/dx = the sum of g's copies.
template <class T>
Tensor<T> repeat(const Tensor<T>& x, const Indices& reps);
/// numpy.tile: the same as repeat, except that with fewer reps than axes the reps get
/// leading 1s (numpy's rule).
template <class T>
Tensor<T> tile(const Tensor<T>& x, const Indices& reps);

/// The lower triangle of the last two axes, the rest zero: entry (i, j) is kept when
/// j - i <= k. tril(ones({n, n})) is the causal attention mask.  d/dx = tril(g, k).
template <class T>
Tensor<T> tril(const Tensor<T>& x, long k = 0);
/// The upper triangle: entry (i, j) of the last two axes is kept when j - i >= k.
/// d/dx = triu(g, k).
template <class T>
Tensor<T> triu(const Tensor<T>& x, long k = 0);

}  // namespace tg
