#pragma once
// Gradient clipping, as PyTorch's torch.nn.utils.clip_grad_norm_ and clip_grad_value_:
// between backward and the optimizer's step,
//
//     tape.backward(loss);
//     tg::nn::clip_grad_norm_(net.parameters(), 1.0);
//     optimizer.step();
//
// Both change the gradients in place (Tensor::grad() shares its buffer with the
// parameter) and skip parameters without a gradient. A gradient recorded with
// create_graph is not a leaf and cannot be changed in place (tg::GraphError).

#include <tapegrad/tensor.hpp>

#include <limits>
#include <vector>

namespace tg::nn {

/// Scales the gradients of `parameters` by min(1, max_norm / (N + 1e-6)), where N is the
/// norm of all gradients together, as if concatenated into one vector: N = (Σ |g|ᵖ)^(1/p)
/// for `norm_type` p > 0, max |g| for p = infinity (std::numeric_limits<double>::infinity()).
/// Returns N (0 when no parameter has a gradient), computed in double. As with PyTorch's
/// default (error_if_nonfinite=False), a non-finite N is no error: the scale is computed
/// all the same (NaN for a NaN norm, 0 for an infinite one). tg::ValueError when
/// max_norm < 0 or norm_type <= 0.
template <class T>
double clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm,
                       double norm_type = 2.0);

/// Clamps every gradient element of `parameters` to [−clip_value, clip_value].
/// tg::ValueError when clip_value < 0.
template <class T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value);

#define TG_NN_CLIP_GRAD_EXTERN(T)                                                      \
    extern template double clip_grad_norm_<T>(const std::vector<Tensor<T>>&, double,   \
                                              double);                                  \
    extern template void clip_grad_value_<T>(const std::vector<Tensor<T>>&, double);
TG_NN_CLIP_GRAD_EXTERN(float)
TG_NN_CLIP_GRAD_EXTERN(double)
#undef TG_NN_CLIP_GRAD_EXTERN

}  // namespace tg::nn
