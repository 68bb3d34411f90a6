#pragma once
// Rows of a tensor by index, for tg::rows and tg::index_select along axis 0 (private to
// ops/): one copy per row instead of a position per element, and a backward that adds
// into the input's gradient in place when it can (BackwardContext::add_rows_in_place).

#include <tapegrad/array.hpp>
#include <tapegrad/tensor.hpp>

namespace tg::detail {

/// Rows indices[k] of x (axis 0), recorded as `op`. The indices are checked here.
template <class T>
Tensor<T> gather_rows(const char* op, const Tensor<T>& x, const Indices& indices);

}  // namespace tg::detail
