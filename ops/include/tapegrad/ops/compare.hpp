#pragma once
// Elementwise selection: maximum, minimum (broadcasting; or with a number), clamp (scalar
// bounds).

#include <tapegrad/tensor.hpp>

namespace tg {

/// max(a, b) elementwise, NaN where either is NaN (torch.maximum). The gradient goes to a
/// where a > b, to b where a < b, half to each at a tie, and all of it to both where
/// either is NaN (as PyTorch's).
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
/// min(a, b) elementwise, NaN where either is NaN (torch.minimum). The gradient goes to a
/// where a < b, to b where a > b, half to each at a tie, and all of it to both where
/// either is NaN.
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);
/// maximum(a, b) with the number b, a 0-d constant: `tg::maximum(x, 0.0)`.
template <class T>
Tensor<T> maximum(const Tensor<T>& a, detail::scalar_t<T> b) {
    return maximum(a, Tensor<T>(b));
}
/// minimum(a, b) with the number b, a 0-d constant.
template <class T>
Tensor<T> minimum(const Tensor<T>& a, detail::scalar_t<T> b) {
    return minimum(a, Tensor<T>(b));
}
/// x limited to [lo, hi], NaN at NaN.  d/dx = 1 where lo <= x <= hi, else 0 (0 at NaN).
template <class T>
Tensor<T> clamp(const Tensor<T>& x, detail::scalar_t<T> lo, detail::scalar_t<T> hi);

}  // namespace tg
