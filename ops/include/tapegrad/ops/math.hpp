#pragma once
// Elementwise math: pow (scalar or tensor exponent), square, sqrt, rsqrt, reciprocal, exp,
// expm1, log, log1p, logaddexp, erf, erfc, abs, sign.

#include <tapegrad/tensor.hpp>

namespace tg {

/// x^p for a scalar p.            d/dx = p x^(p-1)
template <class T>
Tensor<T> pow(const Tensor<T>& x, detail::scalar_t<T> p);
/// aᵇ elementwise, with numpy broadcasting (numpy.power, torch.pow).
/// d/da = b aᵇ⁻¹,  d/db = aᵇ ln a.
/// The domain is a > 0: there both derivatives exist. Elsewhere the value is std::pow's
/// (a negative a with a non-integer b gives nan, as in numpy) and the gradient wrt b is
/// not finite, as ln a is (at a = 0 PyTorch defines it as 0 for b >= 0; tapegrad keeps
/// one formula, docs/design.md).
template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b);
/// x².                            d/dx = 2x
template <class T>
Tensor<T> square(const Tensor<T>& x);
/// √x.                            d/dx = 1 / (2√x) = 0.5 / y
template <class T>
Tensor<T> sqrt(const Tensor<T>& x);
/// 1 / √x (torch.rsqrt).         d/dx = −½ x^(−3/2) = −½ y³
template <class T>
Tensor<T> rsqrt(const Tensor<T>& x);
/// 1 / x (torch.reciprocal).      d/dx = −1 / x² = −y²
template <class T>
Tensor<T> reciprocal(const Tensor<T>& x);
/// eˣ.                            d/dx = eˣ = y
template <class T>
Tensor<T> exp(const Tensor<T>& x);
/// eˣ − 1, accurate where x is small (eˣ − 1 would cancel).   d/dx = eˣ = y + 1
template <class T>
Tensor<T> expm1(const Tensor<T>& x);
/// ln x.                          d/dx = 1 / x
template <class T>
Tensor<T> log(const Tensor<T>& x);
/// ln(1 + x), accurate where x is small (1 + x would round).   d/dx = 1 / (1 + x)
template <class T>
Tensor<T> log1p(const Tensor<T>& x);
/// ln(eᵃ + eᵇ) elementwise, with numpy broadcasting (numpy.logaddexp, torch.logaddexp),
/// computed without overflow as max(a, b) + ln(1 + e^−|a − b|).
/// d/da = e^(a − y) = σ(a − b),  d/db = e^(b − y) = σ(b − a).
template <class T>
Tensor<T> logaddexp(const Tensor<T>& a, const Tensor<T>& b);
/// erf x = 2/√π ∫₀ˣ e^(−t²) dt.    d/dx = 2/√π e^(−x²)
template <class T>
Tensor<T> erf(const Tensor<T>& x);
/// erfc x = 1 − erf x, accurate where erf x is near 1 (1 − erf x would cancel).
///                                d/dx = −2/√π e^(−x²)
template <class T>
Tensor<T> erfc(const Tensor<T>& x);
/// |x|.                           d/dx = sign(x), 0 at x = 0
template <class T>
Tensor<T> abs(const Tensor<T>& x);
/// 1 if x > 0, −1 if x < 0, x itself at ±0 and NaN (numpy.sign; torch.sign gives 0 at NaN).
/// Not differentiable: a step function, so its gradient is 0 everywhere (at 0 too, as in
/// PyTorch); the result records on the tape with an all-zero gradient.
template <class T>
Tensor<T> sign(const Tensor<T>& x);

}  // namespace tg
