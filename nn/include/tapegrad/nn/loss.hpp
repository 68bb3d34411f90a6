#pragma once
// The squared-error losses, each one recorded op (tg::scaled_squared_error, in ops/).
// The classification and robust losses (cross_entropy, nll_loss, ...) are in losses.hpp,
// included here.
// Prediction and target must have the same shape: no silent broadcasting of (N) against
// (N, 1), which is a classic source of wrong losses.

#include <tapegrad/nn/losses.hpp>
#include <tapegrad/tensor.hpp>

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

#define TG_NN_LOSS_EXTERN(T)                                                   \
    extern template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&); \
    extern template Tensor<T> rmse<T>(const Tensor<T>&, const Tensor<T>&);     \
    extern template Tensor<T> half_sse_per_example<T>(const Tensor<T>&, const Tensor<T>&);
TG_NN_LOSS_EXTERN(float)
TG_NN_LOSS_EXTERN(double)
#undef TG_NN_LOSS_EXTERN

}  // namespace tg::nn
