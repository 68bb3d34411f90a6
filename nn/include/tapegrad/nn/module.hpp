#pragma once
// tg::nn::Module: the base of layers and containers, with named parameters.
//
//     class Affine : public tg::nn::Module<> {
//     public:
//         Affine() { scale_ = register_parameter("scale", tg::parameter(xt::ones<double>({1}))); }
//         tg::Tensor<> forward(const tg::Tensor<>& x) override { return x * scale_; }
//     private:
//         tg::Tensor<> scale_;
//     };
//
// Parameters and submodules are registered by name; named_parameters() lists a module's
// own parameters first, then each submodule's with its name as a dotted prefix
// ("0.weight", "0.bias", "2.weight" inside a Sequential), as PyTorch does.
//
// Copying a module is shallow, as copying a Tensor is: the copy shares its parameters
// (and submodules) with the original.

#include <tapegrad/tensor.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg::nn {

/// The base of every layer: named parameters and submodules, train/eval mode, forward.
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

    /// The module's computation on a batch.
    virtual Tensor<T> forward(const Tensor<T>& x) = 0;
    /// forward(x).
    Tensor<T> operator()(const Tensor<T>& x) { return forward(x); }

    /// A short description ("Dense(in=1, out=32)"); containers list their children.
    virtual std::string describe() const = 0;

    /// (name, parameter) pairs: own parameters in registration order, then each
    /// submodule's, prefixed with "submodule_name.".
    std::vector<std::pair<std::string, Tensor<T>>> named_parameters() const;
    /// The tensors of named_parameters(), in the same order.
    std::vector<Tensor<T>> parameters() const;
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
    /// Whether the module is in training mode (train()), not eval().
    bool is_training() const { return training_; }

protected:
    /// Adds a parameter under `name` (no dots, unique in this module) and returns it.
    /// The tensor must be a leaf; it is marked as requiring a gradient.
    Tensor<T> register_parameter(const std::string& name, Tensor<T> parameter);

    /// Adds a submodule under `name` (no dots, unique in this module) and returns it.
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
        static_assert(std::is_base_of_v<Module<T>, M>,
                      "register_module: the submodule must derive from tg::nn::Module<T> "
                      "with the same element type T");
        register_child(name, module);
        return module;
    }

private:
    void register_child(const std::string& name, std::shared_ptr<Module<T>> module);
    void check_new_name(const char* what, const std::string& name) const;

    std::vector<std::pair<std::string, Tensor<T>>> parameters_;
    std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children_;
    bool training_ = true;
};

extern template class Module<float>;
extern template class Module<double>;

}  // namespace tg::nn
