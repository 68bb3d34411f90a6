#pragma once
// Activation modules: Sigmoid, Tanh, ReLU, LeakyReLU, Softplus, Identity.
// Each applies the elementwise op of the same name (tapegrad/ops/activation.hpp) and has
// no parameters; clone() copies its configuration.

#include <tapegrad/nn/module.hpp>

namespace tg::nn {

/// σ(x) = 1 / (1 + e⁻ˣ).   σ' = σ (1 − σ)
template <class T = double>
class Sigmoid : public Cloneable<Sigmoid<T>, T> {
public:
    /// σ(x) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override { return "Sigmoid"; }
};

/// tanh x.   tanh' = 1 − tanh²
template <class T = double>
class Tanh : public Cloneable<Tanh<T>, T> {
public:
    /// tanh(x) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override { return "Tanh"; }
};

/// max(x, 0).   derivative 1 for x > 0, else 0 (0 at the kink)
template <class T = double>
class ReLU : public Cloneable<ReLU<T>, T> {
public:
    /// max(x, 0) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override { return "ReLU"; }
};

/// x for x > 0, slope·x otherwise.   derivative 1 for x > 0, else slope
template <class T = double>
class LeakyReLU : public Cloneable<LeakyReLU<T>, T> {
public:
    /// With negative slope `slope`.
    explicit LeakyReLU(T slope = T(0.01)) : slope_(slope) {}
    /// x > 0 ? x : slope·x elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override;
    /// The negative slope.
    T slope() const { return slope_; }

private:
    T slope_;
};

/// log(1 + eˣ), computed stably.   derivative σ(x)
template <class T = double>
class Softplus : public Cloneable<Softplus<T>, T> {
public:
    /// log(1 + eˣ) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override { return "Softplus"; }
};

/// x unchanged (returns the same tensor).
template <class T = double>
class Identity : public Cloneable<Identity<T>, T> {
public:
    /// x itself.
    Tensor<T> forward(const Tensor<T>& x) override { return x; }
    std::string describe() const override { return "Identity"; }
};

#define TG_NN_ACTIVATION_EXTERN(T)      \
    extern template class Sigmoid<T>;   \
    extern template class Tanh<T>;      \
    extern template class ReLU<T>;      \
    extern template class LeakyReLU<T>; \
    extern template class Softplus<T>;  \
    extern template class Identity<T>;
TG_NN_ACTIVATION_EXTERN(float)
TG_NN_ACTIVATION_EXTERN(double)
#undef TG_NN_ACTIVATION_EXTERN

}  // namespace tg::nn
