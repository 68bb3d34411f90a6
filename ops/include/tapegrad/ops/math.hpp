#pragma once
// Elementwise math: pow (scalar exponent), square, sqrt, exp, log, abs.

#include <tapegrad/tensor.hpp>

namespace tg {

/// x^p for a scalar p.            d/dx = p x^(p-1)
template <class T>
Tensor<T> pow(const Tensor<T>& x, detail::scalar_t<T> p);
/// x².                            d/dx = 2x
template <class T>
Tensor<T> square(const Tensor<T>& x);
/// √x.                            d/dx = 1 / (2√x) = 0.5 / y
template <class T>
Tensor<T> sqrt(const Tensor<T>& x);
/// eˣ.                            d/dx = eˣ = y
template <class T>
Tensor<T> exp(const Tensor<T>& x);
/// ln x.                          d/dx = 1 / x
template <class T>
Tensor<T> log(const Tensor<T>& x);
/// |x|.                           d/dx = sign(x), 0 at x = 0
template <class T>
Tensor<T> abs(const Tensor<T>& x);

}  // namespace tg
