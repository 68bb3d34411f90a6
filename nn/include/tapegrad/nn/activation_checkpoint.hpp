#pragma once
// Activation checkpointing for modules (tg::checkpoint does it for a function):
//
//     auto y = tg::nn::checkpoint_sequential(net, 2, x);   // torch.utils.checkpoint's
//     auto block = std::make_shared<tg::nn::CheckpointWrapper<>>(make_block());
//
// checkpoint_sequential splits a Sequential into `segments` runs of modules and
// checkpoints all but the last, as torch.utils.checkpoint.checkpoint_sequential.
// CheckpointWrapper is a module whose forward is its child's, checkpointed (as
// torch.distributed.algorithms._checkpoint.checkpoint_wrapper): wrap the blocks of a deep
// model and only their inputs stay in memory between forward and backward.

#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/sequential.hpp>

#include <memory>

namespace tg::nn {

/// The modules of `net` in `segments` runs of consecutive modules (the first runs one
/// longer when they do not divide evenly), each but the last through tg::checkpoint.
/// tg::ValueError unless 1 <= segments <= net.size().
template <class T>
Tensor<T> checkpoint_sequential(Sequential<T>& net, std::size_t segments, const Tensor<T>& x);

/// A module whose forward(x) is `module`'s, under tg::checkpoint. The child is registered
/// as "module", so its parameters are "module.<name>".
template <class T = double>
class CheckpointWrapper : public Module<T> {
public:
    /// Wraps a shared module (tg::ValueError for a null one).
    explicit CheckpointWrapper(std::shared_ptr<Module<T>> module);
    /// tg::checkpoint of the child's forward.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// "CheckpointWrapper(<child>)".
    std::string describe() const override;
    /// A wrapper of a clone of the child.
    std::shared_ptr<Module<T>> clone() const override;

private:
    std::shared_ptr<Module<T>> module_;
};

extern template class CheckpointWrapper<float>;
extern template class CheckpointWrapper<double>;

}  // namespace tg::nn
