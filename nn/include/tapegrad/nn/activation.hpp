#pragma once
// Activation modules: Sigmoid, Tanh, ReLU, LeakyReLU, Softplus, GELU, SiLU, ELU,
// Softsign, Softmax, LogSoftmax, Identity (PyTorch's names and defaults).
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

/// log(1 + e^(βx)) / β, and x where βx > threshold (tg::softplus, PyTorch's arguments).
template <class T = double>
class Softplus : public Cloneable<Softplus<T>, T> {
public:
    /// PyTorch's defaults: beta 1, threshold 20.
    explicit Softplus(T beta = T(1), T threshold = T(20)) : beta_(beta), threshold_(threshold) {}
    /// tg::softplus(x, beta, threshold) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override;

private:
    T beta_, threshold_;
};

/// x·Φ(x), Φ the standard normal CDF (the exact, erf form; PyTorch's default), or its
/// tanh approximation with approximate = "tanh" (one fused op).
template <class T = double>
class GELU : public Cloneable<GELU<T>, T> {
public:
    /// approximate: "none" or "tanh" (PyTorch's argument); another is a tg::ValueError.
    explicit GELU(std::string approximate = "none");
    /// gelu(x, approximate) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// "GELU", or "GELU(approximate='tanh')" as PyTorch prints it.
    std::string describe() const override;

private:
    std::string approximate_;
};

/// x·σ(x) (also called swish).
template <class T = double>
class SiLU : public Cloneable<SiLU<T>, T> {
public:
    /// silu(x) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override { return "SiLU"; }
};

/// x for x > 0, alpha·(eˣ − 1) otherwise.
template <class T = double>
class ELU : public Cloneable<ELU<T>, T> {
public:
    /// With the given alpha (PyTorch's default 1).
    explicit ELU(T alpha = T(1)) : alpha_(alpha) {}
    /// elu(x, alpha) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override;

private:
    T alpha_;
};

/// x / (1 + |x|).
template <class T = double>
class Softsign : public Cloneable<Softsign<T>, T> {
public:
    /// softsign(x) elementwise.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override { return "Softsign"; }
};

/// softmax along `dim` (PyTorch's nn.Softmax(dim)).
template <class T = double>
class Softmax : public Cloneable<Softmax<T>, T> {
public:
    /// Along axis `dim` (negative counts from the end).
    explicit Softmax(long dim = -1) : dim_(dim) {}
    /// softmax(x, dim).
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override;

private:
    long dim_;
};

/// log_softmax along `dim` (PyTorch's nn.LogSoftmax(dim)).
template <class T = double>
class LogSoftmax : public Cloneable<LogSoftmax<T>, T> {
public:
    /// Along axis `dim` (negative counts from the end).
    explicit LogSoftmax(long dim = -1) : dim_(dim) {}
    /// log_softmax(x, dim).
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override;

private:
    long dim_;
};

/// x unchanged (returns the same tensor).
template <class T = double>
class Identity : public Cloneable<Identity<T>, T> {
public:
    /// x itself.
    Tensor<T> forward(const Tensor<T>& x) override { return x; }
    std::string describe() const override { return "Identity"; }
};

#define TG_NN_ACTIVATION_EXTERN(T)       \
    extern template class Sigmoid<T>;    \
    extern template class Tanh<T>;       \
    extern template class ReLU<T>;       \
    extern template class LeakyReLU<T>;  \
    extern template class Softplus<T>;   \
    extern template class GELU<T>;       \
    extern template class SiLU<T>;       \
    extern template class ELU<T>;        \
    extern template class Softsign<T>;   \
    extern template class Softmax<T>;    \
    extern template class LogSoftmax<T>; \
    extern template class Identity<T>;
TG_NN_ACTIVATION_EXTERN(float)
TG_NN_ACTIVATION_EXTERN(double)
#undef TG_NN_ACTIVATION_EXTERN

}  // namespace tg::nn
