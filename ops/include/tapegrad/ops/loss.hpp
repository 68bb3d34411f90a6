#pragma once
// The squared-error loss as one recorded op (the building block of tg::nn::mse_loss and
// tg::nn::half_sse_per_example).

#include <tapegrad/tensor.hpp>

namespace tg {

/// L = scale · Σ (pred − target)² over every element, a 0-d tensor, recorded as one op
/// (as PyTorch records mse_loss: the composite sub, square, sum, mul would record four
/// entries and make about ten tensors per step).
///     dL/dpred = 2 · scale · (pred − target),   dL/dtarget = −dL/dpred
/// pred and target must have the same shape (tg::ShapeError otherwise). `name` is what
/// the op records under (tape dumps, errors): the loss that the caller computes.
template <class T>
Tensor<T> scaled_squared_error(const Tensor<T>& pred, const Tensor<T>& target,
                               detail::scalar_t<T> scale,
                               const char* name = "scaled_squared_error");

}  // namespace tg
