#pragma once
// Reductions: sum and mean (over everything or over axes, keepdims), max over one axis.
// Axes may be negative (counted from the end).

#include <tapegrad/tensor.hpp>

namespace tg {

/// Σ x over every element: a 0-d tensor.       d/dx = g broadcast to shape(x)
template <class T>
Tensor<T> sum(const Tensor<T>& x);
/// Σ x over `axes` (removed, or kept with size 1 when keepdims).
template <class T>
Tensor<T> sum(const Tensor<T>& x, const Axes& axes, bool keepdims = false);
/// The mean over every element: a 0-d tensor.  d/dx = g / size(x)
template <class T>
Tensor<T> mean(const Tensor<T>& x);
/// The mean over `axes`.                       d/dx = g / (product of the reduced sizes)
template <class T>
Tensor<T> mean(const Tensor<T>& x, const Axes& axes, bool keepdims = false);
/// The largest value along `axis`, NaN where the axis holds a NaN (torch.max(x, dim)). The
/// gradient goes to the first maximal element, or to the first NaN.
template <class T>
Tensor<T> max(const Tensor<T>& x, long axis, bool keepdims = false);

}  // namespace tg
