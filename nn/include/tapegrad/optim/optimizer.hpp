#pragma once
// tg::optim::Optimizer: the base of SGD and Adam.
//
//     tg::optim::Adam<> opt(net.parameters(), 1e-3);
//     tg::Tape tape;                              // one tape for the whole loop
//     for (...) {
//         opt.zero_grad();
//         tape.backward(loss_of(net(x), y));
//         opt.step();                             // in place, records nothing
//     }
//
// A step changes parameter values in place through mutable_value(): it records
// nothing, even while a tape is active, and bumps each parameter's version, so an entry
// still holding the old values (retain_graph) refuses to run backward with the new ones.
// Parameters with no gradient yet are skipped, as in PyTorch.

#include <tapegrad/tensor.hpp>

#include <vector>

namespace tg::optim {

/// The base of the optimizers: the parameters, a learning rate, step() and zero_grad().
template <class T = double>
class Optimizer {
public:
    /// `parameters` must be leaves that require a gradient; lr must be >= 0.
    Optimizer(std::vector<Tensor<T>> parameters, T learning_rate);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// Updates every parameter that has a gradient.
    virtual void step() = 0;
    /// Clears every parameter's gradient before the next backward. As in PyTorch (2.0 on),
    /// the gradients are dropped (Tensor::reset_grad): the next backward then hands its
    /// gradients over instead of adding them to zeros, which saves a pass over every
    /// parameter twice a step. With set_to_none = false they are set to zero instead,
    /// keeping their buffers (Tensor::zero_grad).
    void zero_grad(bool set_to_none = true);

    /// The learning rate.
    T learning_rate() const { return learning_rate_; }
    /// Changes the learning rate (for a schedule).
    void set_learning_rate(T learning_rate);
    /// The parameters, in the order given.
    const std::vector<Tensor<T>>& parameters() const { return parameters_; }

protected:
    /// The parameters, in the order given.
    std::vector<Tensor<T>> parameters_;
    /// The learning rate.
    T learning_rate_;
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace tg::optim
