#pragma once
// Activations: sigmoid, tanh, relu, leaky_relu, softplus, gelu, silu, elu, softsign.

#include <tapegrad/tensor.hpp>

#include <string>

namespace tg {

/// σ(x) = 1 / (1 + e⁻ˣ).                      d/dx = y (1 − y)
template <class T>
Tensor<T> sigmoid(const Tensor<T>& x);
/// tanh x.                                     d/dx = 1 − y²
template <class T>
Tensor<T> tanh(const Tensor<T>& x);
/// max(x, 0), NaN at NaN.                      d/dx = 0 if x <= 0 else 1 (0 at the kink, 1 at
///                                             NaN: PyTorch's)
template <class T>
Tensor<T> relu(const Tensor<T>& x);
/// x if x > 0 else slope·x.                    d/dx = 1 if x > 0 else slope (also at NaN)
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, detail::scalar_t<T> slope = T(0.01));
/// PyTorch's softplus: log(1 + e^(βx)) / β, computed as (max(βx, 0) + log1p(e^−|βx|)) / β,
/// and x itself where βx > threshold (as PyTorch, which returns x there).
///                                             d/dx = σ(βx), 1 where βx > threshold
template <class T>
Tensor<T> softplus(const Tensor<T>& x, detail::scalar_t<T> beta = T(1),
                   detail::scalar_t<T> threshold = T(20));
/// x Φ(x) = ½ x (1 + erf(x / √2)), Φ the standard normal CDF: the exact GELU (torch's
/// default, approximate='none', not the tanh approximation), computed as ½ x erfc(−x / √2),
/// which keeps its relative accuracy for negative x.
///                                             d/dx = Φ(x) + x φ(x), φ(x) = e^(−x²/2) / √(2π)
template <class T>
Tensor<T> gelu(const Tensor<T>& x);
/// gelu with PyTorch's `approximate`: "none" (the exact form above) or "tanh", one fused
/// op (recorded as "gelu_tanh"; GPT-2's GELU):
///     ½ x (1 + tanh u), u = √(2/π) (x + 0.044715 x³)
///                                             d/dx = ½ (1 + tanh u) + ½ x (1 − tanh² u) u'
/// Another string is a tg::ValueError.
template <class T>
Tensor<T> gelu(const Tensor<T>& x, const std::string& approximate);
/// x σ(x) = x / (1 + e⁻ˣ) (SiLU, swish).       d/dx = σ(x) (1 + x (1 − σ(x)))
template <class T>
Tensor<T> silu(const Tensor<T>& x);
/// x if x > 0 else alpha (eˣ − 1) (torch.nn.functional.elu).
///                                             d/dx = 1 if x > 0 else alpha eˣ (alpha at 0,
///                                             NaN at NaN)
template <class T>
Tensor<T> elu(const Tensor<T>& x, detail::scalar_t<T> alpha = T(1));
/// x / (1 + |x|).                              d/dx = 1 / (1 + |x|)²
template <class T>
Tensor<T> softsign(const Tensor<T>& x);

}  // namespace tg
