#pragma once
// Trigonometric and hyperbolic functions: sin, cos, tan, atan, atan2 (broadcasting), sinh,
// cosh, asinh.

#include <tapegrad/tensor.hpp>

namespace tg {

/// sin x.                         d/dx = cos x
template <class T>
Tensor<T> sin(const Tensor<T>& x);
/// cos x.                         d/dx = −sin x
template <class T>
Tensor<T> cos(const Tensor<T>& x);
/// tan x.                         d/dx = 1 + tan² x = 1 + y²  (poles at π/2 + kπ)
template <class T>
Tensor<T> tan(const Tensor<T>& x);
/// atan x, in (−π/2, π/2).        d/dx = 1 / (1 + x²)
template <class T>
Tensor<T> atan(const Tensor<T>& x);
/// sinh x.                        d/dx = cosh x
template <class T>
Tensor<T> sinh(const Tensor<T>& x);
/// cosh x.                        d/dx = sinh x
template <class T>
Tensor<T> cosh(const Tensor<T>& x);
/// asinh x = ln(x + √(x² + 1)).   d/dx = 1 / √(1 + x²)
template <class T>
Tensor<T> asinh(const Tensor<T>& x);
/// atan2(y, x): the angle of the point (x, y) in (−π, π], with numpy broadcasting (like
/// numpy.arctan2 and torch.atan2).
/// d/dy = x / (x² + y²),  d/dx = −y / (x² + y²). Not differentiable at the origin, and
/// discontinuous across the negative x axis (y = 0, x < 0), where the angle jumps by 2π.
template <class T>
Tensor<T> atan2(const Tensor<T>& y, const Tensor<T>& x);

}  // namespace tg
