#pragma once
// Elementwise selection: maximum, minimum (broadcasting), clamp (scalar bounds).

#include <tapegrad/tensor.hpp>

namespace tg {

/// max(a, b) elementwise. The gradient goes to a where a >= b (ties: the first
/// argument), to b elsewhere.
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
/// min(a, b) elementwise. The gradient goes to a where a <= b (ties: the first
/// argument), to b elsewhere.
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);
/// x limited to [lo, hi].  d/dx = 1 where lo <= x <= hi, else 0.
template <class T>
Tensor<T> clamp(const Tensor<T>& x, detail::scalar_t<T> lo, detail::scalar_t<T> hi);

}  // namespace tg
