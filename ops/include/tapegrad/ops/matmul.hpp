#pragma once
// Matrix products through BLAS GEMM (transposes are GEMM flags, never copies).

#include <tapegrad/tensor.hpp>

namespace tg {

/// a @ b for 2-D @ 2-D, and batched 3-D @ 2-D: (B, n, k) @ (k, m) -> (B, n, m).
/// d/da = g bᵀ, d/db = aᵀ g.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b);

/// op(a) @ op(b) for 2-D a and b, where op transposes when the flag is set.
/// The primitive behind matmul and linear; its backward is again gemm with flags.
template <class T>
Tensor<T> gemm(const Tensor<T>& a, const Tensor<T>& b, bool transpose_a, bool transpose_b);

/// The fused dense layer y = x Wᵀ + b: x (N, in), W (out, in), b (out) -> (N, out).
/// d/dx = g W, d/dW = gᵀ x, d/db = Σ_rows g.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias);

}  // namespace tg
