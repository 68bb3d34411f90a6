#pragma once
// Tensors made from nothing, as torch.zeros, torch.arange and friends make them, and from
// a std::vector (tg::from_vector, torch.tensor):
//
//     auto x = tg::zeros({8, 3});                       // double, no gradient
//     auto w = tg::full<float>({3, 3}, 0.5f, true);     // a float leaf that wants a gradient
//     auto t = tg::linspace(0.0, 1.0, 11);              // 0, 0.1, ..., 1
//
// The element type is the template argument (double when omitted, as everywhere in
// tapegrad), never deduced from the numbers: tg::arange(10) is a double tensor, and
// torch.arange(10)'s int64 tensor of indices is tg::arange<std::int64_t>(10). zeros,
// ones, full, the *_like factories, from_vector and arange also make int64 index tensors
// (`tg::from_vector(labels, {n})` from a std::vector<std::int64_t>), which never require
// a gradient (requires_grad = true is a tg::ValueError); linspace and eye are float and
// double only. `requires_grad` makes the result a leaf that wants a gradient (a
// tg::parameter). Random tensors (tg::rand, tg::randn) take a tg::nn::Rng and live in
// <tapegrad/nn/random.hpp>. Nothing here is recorded on a tape.

#include <tapegrad/detail/no_deduce.hpp>
#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <vector>

namespace tg {

/// A tensor of `shape` filled with 0.
template <class T = double>
Tensor<T> zeros(const Shape& shape, bool requires_grad = false);

/// A tensor of `shape` filled with 1.
template <class T = double>
Tensor<T> ones(const Shape& shape, bool requires_grad = false);

/// A tensor of `shape` filled with `value`.
template <class T = double>
Tensor<T> full(const Shape& shape, detail::NoDeduce<T> value, bool requires_grad = false);

/// zeros of x's shape and element type.
template <class T>
Tensor<T> zeros_like(const Tensor<T>& x, bool requires_grad = false);
/// ones of x's shape and element type.
template <class T>
Tensor<T> ones_like(const Tensor<T>& x, bool requires_grad = false);
/// full of x's shape and element type (torch.full_like).
template <class T>
Tensor<T> full_like(const Tensor<T>& x, detail::NoDeduce<T> value, bool requires_grad = false);
/// A tensor of x's shape and element type whose values are not to be read before they
/// are written (torch.empty_like). tapegrad fills it with zeros: the same cost as
/// PyTorch's garbage on a first touch, and a forgotten write reads 0, not garbage.
template <class T>
Tensor<T> empty_like(const Tensor<T>& x, bool requires_grad = false);

/// A tensor of `shape` holding `values` in row-major order (torch.tensor(values).reshape(
/// shape)); the values are copied: `tg::from_vector(v, {2, 3})`, `{v.size()}` for 1-D.
/// The element type is the vector's, float, double or std::int64_t (a braced list names it:
/// `tg::from_vector<double>({1, 2, 3, 4}, {2, 2})`). tg::ShapeError unless the sizes of
/// `shape` multiply to values.size().
template <class T>
Tensor<T> from_vector(const std::vector<T>& values, const Shape& shape, bool requires_grad = false);

/// start, start + step, ... up to but excluding `end`: ceil((end − start) / step) values,
/// value i computed as start + i·step (as numpy and torch do). step ≠ 0, and its sign
/// must lead from start towards end (or the result is empty when end == start).
/// `tg::arange<std::int64_t>(0, 10, 3)` is torch.arange(0, 10, 3), the int64 tensor
/// {0, 3, 6, 9}.
template <class T = double>
Tensor<T> arange(detail::NoDeduce<T> start, detail::NoDeduce<T> end,
                 detail::NoDeduce<T> step = T(1), bool requires_grad = false);
/// arange(0, end): `tg::arange<std::int64_t>(n)` is torch.arange(n), the int64 indices
/// 0 .. n−1; `tg::arange(n)` the same numbers in a double tensor.
template <class T = double>
Tensor<T> arange(detail::NoDeduce<T> end);

/// `steps` evenly spaced values from `start` to `end`, both included (steps = 1 gives
/// {start}); value i is start + i·(end − start)/(steps − 1), the last exactly `end`.
template <class T = double>
Tensor<T> linspace(detail::NoDeduce<T> start, detail::NoDeduce<T> end, std::size_t steps,
                   bool requires_grad = false);

/// The n × m matrix with ones on the diagonal (m = n when omitted).
template <class T = double>
Tensor<T> eye(std::size_t n, std::size_t m = 0, bool requires_grad = false);

}  // namespace tg
