#pragma once
// Changing a model's dtype: a module's element type is a template argument, so a float
// model is a different object from a double one. Build the same architecture in the
// other type and copy the state across:
//
//     tg::nn::Sequential<double> reference = make_model<double>(rng);
//     tg::nn::Sequential<float> fast = make_model<float>(rng);
//     tg::nn::copy_state(reference, fast);   // every parameter and buffer, cast to float
//
// This is what PyTorch's `model.to(torch.float32)` or `load_state_dict` across dtypes
// does, made explicit. Buffers (BatchNorm's running statistics) move with the parameters.

#include <tapegrad/nn/module.hpp>

namespace tg::nn {

/// Copies every parameter and buffer of `from` into the tensor of the same name in `to`,
/// cast to `to`'s element type (static_cast per element; double to float rounds to
/// nearest). Both must list the same names with the same shapes, in the same order
/// (modules built the same way do); otherwise tg::ShapeError names each difference and
/// `to` is left unchanged. Gradients and the training mode are left alone; each copied
/// tensor's version is bumped.
template <class From, class To>
void copy_state(const Module<From>& from, Module<To>& to);

#define TG_NN_CONVERT_EXTERN(From, To) \
    extern template void copy_state<From, To>(const Module<From>&, Module<To>&);
TG_NN_CONVERT_EXTERN(double, float)
TG_NN_CONVERT_EXTERN(float, double)
TG_NN_CONVERT_EXTERN(float, float)
TG_NN_CONVERT_EXTERN(double, double)
#undef TG_NN_CONVERT_EXTERN

}  // namespace tg::nn
