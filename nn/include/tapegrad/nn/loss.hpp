#pragma once
// Losses. The squared-error losses are one recorded op each (tg::scaled_squared_error,
// in ops/); cross_entropy is built from log_softmax.
// Prediction and target must have the same shape: no silent broadcasting of (N) against
// (N, 1), which is a classic source of wrong losses.

#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <vector>

namespace tg::nn {

/// Mean squared error over every element: (1 / K) Σ (pred − target)², K = size(pred).
/// A 0-d tensor.   d/dpred = 2 (pred − target) / K
template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target);

/// Root mean squared error: √mse_loss(pred, target). A 0-d tensor.
/// (Its gradient is infinite where pred == target everywhere; use it as a metric.)
template <class T>
Tensor<T> rmse(const Tensor<T>& pred, const Tensor<T>& target);

/// Exactly the loss of the manual-backprop reference (docs/design.md):
///     L = (1 / 2N) Σ_n Σ_j (pred − target)²_nj,   N = pred.shape()[0] (the examples),
/// so that d L / d pred = (pred − target) / N, which is the reference's seed
/// dZ_L = (A_L − Y) ⊙ act'(Z_L) with its 1/N carried into dW and db. A 0-d tensor.
/// pred must have at least one dimension.
template <class T>
Tensor<T> half_sse_per_example(const Tensor<T>& pred, const Tensor<T>& target);

/// Softmax cross-entropy on raw scores: for logits of shape (N, C) and class indices
/// t_n ∈ [0, C),
///     L = −(1 / N) Σ_n log_softmax(logits)_{n, t_n},
/// computed through the stable log_softmax (finite for logits of 1e4). A 0-d tensor.
/// d/dlogits = (softmax(logits) − onehot(t)) / N
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& targets);

#define TG_NN_LOSS_EXTERN(T)                                                               \
    extern template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&);             \
    extern template Tensor<T> rmse<T>(const Tensor<T>&, const Tensor<T>&);                 \
    extern template Tensor<T> half_sse_per_example<T>(const Tensor<T>&, const Tensor<T>&); \
    extern template Tensor<T> cross_entropy<T>(const Tensor<T>&, const std::vector<std::size_t>&);
TG_NN_LOSS_EXTERN(float)
TG_NN_LOSS_EXTERN(double)
#undef TG_NN_LOSS_EXTERN

}  // namespace tg::nn
