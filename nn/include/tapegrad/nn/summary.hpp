#pragma once
// A model's parameter count and its layer table, as PyTorch users get them from
// `sum(p.numel() for p in model.parameters())` and torchinfo's `summary(model, input_size)`:
//
//     std::size_t n = tg::nn::num_parameters(net);          // every parameter
//     std::size_t k = tg::nn::num_parameters(net, true);    // those that require a gradient
//     std::cout << tg::nn::summary(net, {32, 1});           // a forward pass on zeros
//
//     ==========================================================================================
//     Layer (type (var_name):depth-idx)        Output Shape              Param #
//     ==========================================================================================
//     Sequential (Sequential)                  [32, 1]                   --
//     ├─Dense (0): 1-1                         [32, 16]                  32
//     ├─Tanh (1): 1-2                          [32, 16]                  --
//     ├─Dense (2): 1-3                         [32, 1]                   17
//     ==========================================================================================
//     Total params: 49
//     Trainable params: 49
//     Non-trainable params: 0
//     ==========================================================================================
//
// One row per module, in registration order (children indented below their parent, the
// depth and a running index per depth as torchinfo numbers them); Param # counts the
// module's own parameters ("--": none, they are its children's). The output shapes come
// from one forward pass on zeros of `input_shape` under tg::NoGradGuard, in eval mode
// (so BatchNorm's running statistics and the dropout generators are left as they were;
// each module's mode is restored afterwards). A module shows the output of its first
// call through its call operator, `(*child)(x)`: one called with child->forward(x), or
// never called, shows "--" (as PyTorch's hooks, which run on module(x) only). Modules of
// other inputs show their main output when their operator() notes it (the recurrent
// layers: the output sequence or h; MultiheadAttention: its output); summary(model)
// without an input shape lists the parameters alone, for a model whose own forward
// takes other inputs.

#include <tapegrad/nn/module.hpp>

#include <cstddef>
#include <string>

namespace tg::nn {

/// Σ numel of the model's parameters, a tensor registered twice (tied weights) counted
/// once, as PyTorch's parameters() lists it once; with `trainable_only`, only those that
/// require a gradient (not frozen with set_requires_grad(false)).
template <class T>
std::size_t num_parameters(const Module<T>& model, bool trainable_only = false);

/// The layer table above, from one forward pass of zeros of `input_shape` (batch axis
/// included, as torchinfo's input_size). An error of the forward pass (an input shape
/// the model refuses) propagates unchanged, with the modes and generators untouched.
template <class T>
std::string summary(Module<T>& model, const Shape& input_shape);

/// The layer table without a forward pass: every output shape "--".
template <class T>
std::string summary(const Module<T>& model);

}  // namespace tg::nn
