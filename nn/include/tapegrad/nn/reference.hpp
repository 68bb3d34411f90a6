#pragma once
// The bridge between tg::nn::Sequential and the manual-backprop reference
// (<tapegrad/reference/network.hpp>, target tapegrad::reference, which knows nothing of
// modules or ops).

#include <tapegrad/nn/sequential.hpp>
#include <tapegrad/reference/network.hpp>

namespace tg::nn {

/// The reference network of a Sequential made of Dense modules, each followed by at most
/// one activation module (Sigmoid, Tanh, ReLU, LeakyReLU, Softplus; Identity is
/// skipped). The weights are copied. tg::ValueError for any other structure.
template <class T>
reference::Network<T> to_reference(const Sequential<T>& net);

/// A new Sequential with copies of the reference's weights: Dense, activation, Dense, ...
template <class T>
Sequential<T> to_sequential(const reference::Network<T>& network);

/// Hands the reference's weights back: assigns them to the Dense modules of `net`, which
/// must have the reference's structure (as to_reference reads it); tg::ShapeError
/// otherwise.
template <class T>
void copy_weights(const reference::Network<T>& network, Sequential<T>& net);

#define TG_NN_REFERENCE_EXTERN(T)                                                            \
    extern template reference::Network<T> to_reference<T>(const Sequential<T>&);            \
    extern template Sequential<T> to_sequential<T>(const reference::Network<T>&);           \
    extern template void copy_weights<T>(const reference::Network<T>&, Sequential<T>&);
TG_NN_REFERENCE_EXTERN(float)
TG_NN_REFERENCE_EXTERN(double)
#undef TG_NN_REFERENCE_EXTERN

}  // namespace tg::nn
