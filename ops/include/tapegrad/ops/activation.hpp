#pragma once
// Activations: sigmoid, tanh, relu, leaky_relu, softplus.

#include <tapegrad/tensor.hpp>

namespace tg {

/// σ(x) = 1 / (1 + e⁻ˣ).                      d/dx = y (1 − y)
template <class T>
Tensor<T> sigmoid(const Tensor<T>& x);
/// tanh x.                                     d/dx = 1 − y²
template <class T>
Tensor<T> tanh(const Tensor<T>& x);
/// max(x, 0).                                  d/dx = 1 if x > 0 else 0 (0 at the kink)
template <class T>
Tensor<T> relu(const Tensor<T>& x);
/// x if x > 0 else slope·x.                    d/dx = 1 if x > 0 else slope
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, detail::scalar_t<T> slope = T(0.01));
/// log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|).   d/dx = σ(x)
template <class T>
Tensor<T> softplus(const Tensor<T>& x);

}  // namespace tg
