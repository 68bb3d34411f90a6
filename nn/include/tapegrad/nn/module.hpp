#pragma once
// tg::nn::Module: the base of layers and containers, with named parameters, buffers and
// submodules.
//
//     class Affine : public tg::nn::Cloneable<Affine> {
//     public:
//         Affine() { reset(); }
//         void reset() override {  // registers the parameters (clone() calls it too)
//             scale_ = register_parameter("scale", tg::parameter(xt::ones<double>({1})));
//         }
//         tg::Tensor<> forward(const tg::Tensor<>& x) override { return x * scale_; }
//     private:
//         tg::Tensor<> scale_;
//     };
//
// Parameters, buffers and submodules are registered by name; named_parameters() lists a
// module's own parameters first, then each submodule's with its name as a dotted prefix
// ("0.weight", "0.bias", "2.weight" inside a Sequential), as PyTorch does.
//
// Submodules are shared: register_module takes and returns a std::shared_ptr, or a
// tg::nn::ModuleHolder (module_holder.hpp), which is called as `fc(x)`.
//
// Inputs and outputs: a module of one tensor overrides forward(x), and net(x) calls it
// (Sequential, DataParallel and the optimizers need nothing more). A module of other
// inputs or outputs declares its own forward with any signature, and an operator() if it
// wants the call syntax:
//
//     class Bilinear : public tg::nn::Cloneable<Bilinear> {
//     public:
//         tg::Tensor<> forward(const tg::Tensor<>& a, const tg::Tensor<>& b);
//         tg::Tensor<> operator()(const tg::Tensor<>& a, const tg::Tensor<>& b) { return forward(a, b); }
//         ...
//     };
//
// (an LSTM cell: `std::pair<Tensor, State> forward(const Tensor& x, const State& hc)`;
// attention: `forward(q, k, v, mask)`). It is a Module like any other: parameters,
// checkpoints, clone, train/eval. Only forward(x) of one tensor is then unavailable, and
// calling it (for example from a Sequential) throws tg::ValueError naming the module.
// Its operator() may call note_output(main output) so that tg::nn::summary shows a shape
// for it (the recurrent layers and MultiheadAttention do).
//
// Copying a module is shallow, as copying a Tensor is: the copy shares its parameters
// (and submodules) with the original. clone() makes a deep copy.

#include <tapegrad/nn/module_holder.hpp>
#include <tapegrad/tensor.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg::nn {

/// The base of every layer: named parameters, buffers and submodules, train/eval mode,
/// forward. See the top of this file.
template <class T = double>
class Module {
public:
    /// The element type.
    using value_type = T;

    Module() = default;
    virtual ~Module() = default;
    /// Copies share the parameters' tensors (a Tensor is a handle).
    Module(const Module&) = default;
    /// Moves.
    Module(Module&&) noexcept = default;
    /// Copies share the parameters' tensors.
    Module& operator=(const Module&) = default;
    /// Moves.
    Module& operator=(Module&&) noexcept = default;

    /// The module's computation on one tensor. Modules of other inputs declare their own
    /// forward instead (see the top of this file); for them this throws tg::ValueError.
    virtual Tensor<T> forward(const Tensor<T>& x);
    /// forward(x), then note_output(result) (what tg::nn::summary reads). Call submodules
    /// this way, `child(x)` through a tg::nn::ModuleHolder or `(*child)(x)` through a
    /// pointer, rather than `child->forward(x)`: as PyTorch's hooks run on module(x) only,
    /// a summary shows no output shape for a module called by forward.
    Tensor<T> operator()(const Tensor<T>& x);
    /// The module's computation on int64 indices (token ids, PyTorch's long input). Only
    /// modules that take indices override it: Embedding looks them up, Sequential hands them
    /// to its first module. The default raises tg::ValueError naming the module. (A name
    /// of its own rather than a forward overload: an overload would be hidden in every
    /// module that overrides forward(x).)
    virtual Tensor<T> forward_indices(const Tensor<std::int64_t>& indices);
    /// forward_indices(indices), then note_output(result): `net(tokens)` for a model whose
    /// first module is an Embedding, as PyTorch's `model(tokens)`. A template taking only
    /// a Tensor<std::int64_t>, so a braced list, a number or an xtensor expression still
    /// goes to the call of values above instead of becoming ambiguous.
    template <class I, std::enable_if_t<std::is_same_v<I, std::int64_t>, int> = 0>
    Tensor<T> operator()(const Tensor<I>& indices) {
        Tensor<T> y = forward_indices(indices);
        note_output(y);
        return y;
    }

    /// A short description ("Dense(in=1, out=32)"); containers list their children. The
    /// default gives the class name and the shapes of its own parameters, then each
    /// submodule's description: "Residual(scale (1), body=Dense(in=4, out=4))".
    virtual std::string describe() const;
    /// The class name without namespaces or template arguments ("Dense").
    std::string class_name() const;

    /// (name, parameter) pairs: own parameters in registration order, then each
    /// submodule's in registration order of the submodules, prefixed with
    /// "submodule_name." (PyTorch's order). The order depends only on the registrations,
    /// so two modules built the same way list their parameters alike; optimizers and
    /// checkpoints rely on it.
    std::vector<std::pair<std::string, Tensor<T>>> named_parameters() const;
    /// The tensors of named_parameters(), in the same order.
    std::vector<Tensor<T>> parameters() const;
    /// (name, buffer) pairs, in the order of named_parameters(): state that is saved in
    /// checkpoints but not trained (running statistics).
    std::vector<std::pair<std::string, Tensor<T>>> named_buffers() const;
    /// The tensors of named_buffers(), in the same order.
    std::vector<Tensor<T>> buffers() const;
    /// (name, module) pairs of the direct submodules, in registration order.
    const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& children() const {
        return children_;
    }

    /// Clears the gradient of every parameter: drops it (set_to_none, PyTorch's default;
    /// see Optimizer::zero_grad) or sets it to zero, keeping the buffers.
    void zero_grad(bool set_to_none = true);

    /// Training mode on (the default) or off, for this module and every submodule.
    void train(bool on = true);
    /// train(false).
    void eval() { train(false); }
    /// Whether the module is in training mode (train()), not eval() (PyTorch's `training`).
    bool is_training() const { return training_; }

    /// A deep copy: the same class, configuration and mode, with new parameter and buffer
    /// tensors holding copies of the values (no gradients), and cloned submodules; training
    /// the copy leaves the original unchanged. Modules derived from tg::nn::Cloneable and
    /// the containers have it; for others this throws tg::ValueError naming the class.
    virtual std::shared_ptr<Module<T>> clone() const;

protected:
    /// For the call operators of modules of other inputs or outputs: tells tg::nn::summary,
    /// when it is running on this thread, that this module returned `output` (its main
    /// output tensor, e.g. an LSTM's output sequence). Costs one thread-local read.
    void note_output(const Tensor<T>& output) const;

    /// Adds a parameter under `name` (no dots, unique in this module) and returns it.
    /// The tensor must be a leaf; it is marked as requiring a gradient and named (see
    /// Tensor::name: registering this module as a submodule prefixes the names, so errors
    /// say '1.weight').
    Tensor<T> register_parameter(const std::string& name, Tensor<T> parameter);

    /// Adds a buffer under `name` (no dots, unique in this module) and returns it: a leaf
    /// saved and loaded by checkpoints and copied by clone(), but not in parameters(), so
    /// never trained; it is marked as not requiring a gradient. Change its values with
    /// mutable_value() (under tg::NoGradGuard when they are computed from recorded ones).
    Tensor<T> register_buffer(const std::string& name, Tensor<T> buffer);

    /// Adds a submodule under `name` (no dots, unique in this module) and returns it.
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
        static_assert(std::is_base_of_v<Module<T>, M>,
                      "register_module: the submodule must derive from tg::nn::Module<T> "
                      "with the same element type T");
        register_child(name, module);
        return module;
    }
    /// Adds the holder's module under `name` and returns the holder (see module_holder.hpp).
    template <class M>
    ModuleHolder<M> register_module(const std::string& name, ModuleHolder<M> module) {
        return ModuleHolder<M>(register_module(name, module.ptr()));
    }

    /// For clone(): forgets every parameter, buffer and submodule (the tensors and modules
    /// themselves are untouched), before reset() registers new ones.
    void clear_registrations();
    /// For clone(): gives this module (just reset) copies of the values of `original`'s
    /// parameters and buffers and its training mode, name by name, recursively.
    /// tg::ValueError when the names or shapes differ (a reset() that does not register
    /// what the constructor did).
    void copy_state_from(const Module<T>& original);
    /// For clone(): the training mode of `original`, and of each of its submodules for
    /// the submodule at the same position here.
    void copy_modes(const Module<T>& original);

private:
    void register_child(const std::string& name, std::shared_ptr<Module<T>> module);
    void check_new_name(const char* what, const std::string& name) const;
    std::vector<std::pair<std::string, Tensor<T>>> collect(
        std::vector<std::pair<std::string, Tensor<T>>> Module::*own) const;

    std::vector<std::pair<std::string, Tensor<T>>> parameters_;
    std::vector<std::pair<std::string, Tensor<T>>> buffers_;
    std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children_;
    bool training_ = true;
};

/// The base of a module that clone() can copy: copy-constructs the Derived module (its
/// configuration), has it register new tensors and submodules in reset(), then copies the
/// values into them. Derive as `class Layer : public tg::nn::Cloneable<Layer, T>` and
/// register everything in reset(), which the constructor calls too (libtorch's pattern).
template <class Derived, class T = double>
class Cloneable : public Module<T> {
public:
    /// (Re)creates and registers the module's parameters, buffers and submodules from its
    /// configuration; their values are then overwritten by clone(). The default registers
    /// nothing (modules without parameters).
    virtual void reset() {}

    /// The deep copy described at Module::clone.
    std::shared_ptr<Module<T>> clone() const override {
        auto copy = std::make_shared<Derived>(static_cast<const Derived&>(*this));
        Cloneable& fresh = *copy;
        fresh.clear_registrations();
        fresh.reset();
        fresh.copy_state_from(*this);
        return copy;
    }
};

extern template class Module<float>;
extern template class Module<double>;

}  // namespace tg::nn
