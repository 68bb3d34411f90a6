#pragma once
// softmax and log_softmax along an axis, computed stably (the max is subtracted first).

#include <tapegrad/tensor.hpp>

namespace tg {

/// e^(x − m) / Σ e^(x − m) along `axis`, m the max along it.
/// d/dx = y ⊙ (g − Σ_axis g ⊙ y)
template <class T>
Tensor<T> softmax(const Tensor<T>& x, long axis = -1);
/// x − m − log Σ e^(x − m) along `axis`.
/// d/dx = g − softmax(x) ⊙ Σ_axis g
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, long axis = -1);

}  // namespace tg
