#pragma once
// The maximum along an axis, with a say in which NaN it selects (private to ops/): the
// value is NaN either way, the choice is where the gradient goes. torch.max(x, dim)
// selects the first NaN, PyTorch's max-pooling kernels the last one of each window.

#include <tapegrad/tensor.hpp>

namespace tg::detail {

/// Which NaN along the axis max_along selects.
enum class NanPick { first, last };

/// tg::max(x, axis, keepdims) (recorded as "max"), selecting the first maximal element,
/// or the first or last NaN as `pick` says.
template <class T>
Tensor<T> max_along(const Tensor<T>& x, long axis, bool keepdims, NanPick pick);

}  // namespace tg::detail
