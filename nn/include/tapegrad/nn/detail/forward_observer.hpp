#pragma once
// The thread's forward observer: tg::nn::summary sets it for the length of its forward
// pass, and Module::note_output calls it with each module's output.

#include <tapegrad/nn/module.hpp>

#include <functional>

namespace tg::nn::detail {

/// Called with (module, its output) after each module call noted on this thread.
template <class T>
using ForwardObserver = std::function<void(const Module<T>&, const Tensor<T>&)>;

/// This thread's observer for element type T; null when none is set.
template <class T>
ForwardObserver<T>*& forward_observer();

}  // namespace tg::nn::detail
