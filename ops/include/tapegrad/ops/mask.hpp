#pragma once
// Selection and masks: where, masked_fill, and the comparisons gt, lt, ge, le, eq, which
// return 0/1 tensors of x's type (tapegrad has no bool tensors; 1 is true). All follow
// numpy broadcasting. The comparisons are not differentiable: their results are never
// recorded and do not require a gradient.

#include <tapegrad/tensor.hpp>

namespace tg {

/// cond ? a : b elementwise (cond nonzero picks a), cond, a and b broadcast together
/// (torch.where). An element of the branch not taken never reaches the result or its
/// gradient, so an inf or nan there is harmless.
/// d/da = sum_to(where(cond, g, 0)), d/db = sum_to(where(cond, 0, g)); cond gets none.
template <class T>
Tensor<T> where(const Tensor<T>& cond, const Tensor<T>& a, const Tensor<T>& b);

/// x with `value` wherever mask is nonzero (mask broadcasts to x's shape).
/// d/dx = g where mask is 0, else 0.
template <class T>
Tensor<T> masked_fill(const Tensor<T>& x, const Tensor<T>& mask, T value);

/// 1 where a > b (a < b, a >= b, a <= b, a == b), else 0; broadcasting.
template <class T>
Tensor<T> gt(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a < b, else 0.
template <class T>
Tensor<T> lt(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a >= b, else 0.
template <class T>
Tensor<T> ge(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a <= b, else 0.
template <class T>
Tensor<T> le(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a == b, else 0 (a nan equals nothing).
template <class T>
Tensor<T> eq(const Tensor<T>& a, const Tensor<T>& b);

}  // namespace tg
