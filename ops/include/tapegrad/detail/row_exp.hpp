#pragma once
// The exponentials of a softmax row, vectorized (ops/src/row_exp.cpp): softmax,
// log_softmax, the attention op and the fused cross_entropy (nn/) share them, so that
// the fused loss and its composite of log_softmax and gather round alike.

#include <cstddef>

namespace tg::detail {

/// max_k x[k] over n >= 1 contiguous elements. A NaN among them may be dropped (as
/// std::max drops it in some orders): the row's exponentials are NaN either way.
template <class T>
T row_max(const T* x, std::size_t n);

/// Σ_k e^(x[k] − shift) over n contiguous elements, also written to out[k] when out is
/// not null (out may be x). Every element goes through the same SIMD exp, the tail too;
/// the sum is in SIMD lanes, then across them: the same bits for a row wherever it lies.
template <class T>
T sum_exp(const T* x, std::size_t n, T shift, T* out);

/// out[k] = e^(x[k] − shift) · scale over n contiguous elements (out may be x).
template <class T>
void scaled_exp(const T* x, std::size_t n, T shift, T scale, T* out);

}  // namespace tg::detail
