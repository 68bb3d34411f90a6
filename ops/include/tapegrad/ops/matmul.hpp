#pragma once
// Matrix products through BLAS GEMM (transposes are GEMM flags, never copies).

#include <tapegrad/tensor.hpp>

namespace tg {

/// a @ b for every pair of ranks numpy's matmul takes (both at least 1-D):
/// - (n, k) @ (k, m) -> (n, m), one GEMM;
/// - (..., n, k) @ (k, m) -> (..., n, m), one GEMM over all of a's rows;
/// - a vector a (k) is the row (1, k) and a vector b (k) the column (k, 1), that axis
///   removed from the result: (k) @ (k) -> () (a 0-d tensor), (k) @ (k, m) -> (m),
///   (n, k) @ (k) -> (n), (k) @ (..., k, m) -> (..., m);
/// - batched: (..., n, k) @ (..., k, m) -> (..., n, m), the batch axes (all but the last
///   two) broadcast as numpy's, e.g. (b, n, k) @ (b, k, m), (n, k) @ (b, k, m),
///   (a, 1, n, k) @ (b, k, m) -> (a, b, n, m); one GEMM per matrix of the result.
///
/// d/da = g bᵀ, d/db = aᵀ g, per matrix, each summed over the batch axes its operand was
/// broadcast along (transposes are GEMM flags, never copies). A 0-d operand, inner sizes
/// that differ or batch axes that do not broadcast are a tg::ShapeError naming both shapes.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b);

/// The inner product Σ_i a_i b_i of two 1-D tensors of one size, a 0-d tensor (torch.dot:
/// 1-D only; use matmul for other ranks).  d/da = g b, d/db = g a.
template <class T>
Tensor<T> dot(const Tensor<T>& a, const Tensor<T>& b);

/// The outer product y_ij = a_i b_j of two 1-D tensors (n) and (m) -> (n, m) (torch.outer:
/// 1-D only, where numpy.outer flattens).  d/da = g b, d/db = gᵀ a.
template <class T>
Tensor<T> outer(const Tensor<T>& a, const Tensor<T>& b);

/// op(a) @ op(b) for 2-D a and b, where op transposes when the flag is set.
/// The primitive behind matmul and linear; its backward is again gemm with flags.
template <class T>
Tensor<T> gemm(const Tensor<T>& a, const Tensor<T>& b, bool transpose_a, bool transpose_b);

/// The fused dense layer y = x Wᵀ + b, as torch.nn.functional.linear: x (..., in), W
/// (out, in), b (out) or undefined (no bias) -> (..., out). Every row of x (all leading
/// axes together) goes through one GEMM, without a reshape.
/// d/dx = g W, d/dW = gᵀ x, d/db = Σ_rows g.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>());

}  // namespace tg
