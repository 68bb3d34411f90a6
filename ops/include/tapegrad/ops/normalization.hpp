#pragma once
// Layer and batch normalization, as torch.nn.functional.layer_norm and batch_norm.
//
// layer_norm is one fused op (a loop per row, forward and backward; under create_graph
// its backward is written with recorded ops, so it differentiates again). batch_norm is
// composed of recorded ops (mean, sub, square, add, pow, mul, reshape; under DataParallel
// also a sum over the workers): its gradients, and second derivatives, come from those
// ops' backwards. Variances are biased (divided
// by N, not N − 1), as PyTorch normalizes.

#include <tapegrad/tensor.hpp>

namespace tg {

/// Layer normalization over the last axes of x, which must equal `normalized_shape`
/// (at least one axis):
///
///     y = (x − μ) / √(σ² + eps) ⊙ weight + bias,
///
/// μ and σ² the mean and the biased variance of each slice over those axes. weight and bias
/// have shape `normalized_shape` and are optional: leave them undefined (Tensor<T>()) to
/// drop the scale or the shift. Errors (tg::ShapeError) name the op and the shapes.
template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape,
                     const Tensor<T>& weight = Tensor<T>(), const Tensor<T>& bias = Tensor<T>(),
                     double eps = 1e-5);

/// Batch normalization of x of shape (N, C), (N, C, L) or (N, C, H, W), per channel c
/// (axis 1), over every other axis:
///
///     y = (x − μ_c) / √(σ²_c + eps) ⊙ weight_c + bias_c.
///
/// - training = true: μ_c and σ²_c are the batch's mean and biased variance, and the
///   running statistics, when given, are updated in place (not recorded on any tape, so
///   no gradient flows through the update), as PyTorch does:
///   running_mean ← (1 − momentum)·running_mean + momentum·μ_c,
///   running_var ← (1 − momentum)·running_var + momentum·σ²_c·n / (n − 1), the UNBIASED
///   batch variance (n values per channel). Needs n > 1 (tg::ValueError otherwise).
/// - training = false: μ_c and σ²_c are running_mean and running_var (both required).
///
/// running_mean, running_var, weight and bias have shape (C); each may be left undefined
/// (Tensor<T>()), except the running statistics in eval mode. The running statistics are
/// given both or neither, and must be leaves (they change in place, which bumps their
/// version). Errors name the op, what it expected and what it got, and change nothing.
///
/// In a tg::nn::DataParallel step split between workers, training uses the whole batch's
/// statistics (SyncBatchNorm: the per-channel sums are added over the workers, in the
/// forward pass and again in backward), so each worker computes what one thread would;
/// worker 0 alone updates the running statistics (docs/threads.md).
template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& running_mean,
                     const Tensor<T>& running_var, const Tensor<T>& weight = Tensor<T>(),
                     const Tensor<T>& bias = Tensor<T>(), bool training = false,
                     double momentum = 0.1, double eps = 1e-5);

}  // namespace tg
