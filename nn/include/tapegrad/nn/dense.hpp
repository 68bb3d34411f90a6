#pragma once
// tg::nn::Dense: the fully connected layer y = x Wᵀ + b.

#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/module.hpp>

#include <cstddef>

namespace tg::nn {

/// A dense (fully connected, "Linear") layer: weight W of shape (out, in), bias b of
/// shape (out), forward(x) = x Wᵀ + b for x of shape (N, in), through the fused
/// tg::linear. Parameters are named "weight" and "bias".
///
/// Initialization: W by `weight_init` (Xavier/Glorot uniform by default), b = 0 (as
/// Keras does), both drawn from the Rng passed in, or from tg::nn::default_rng().
template <class T = double>
class Dense : public Cloneable<Dense<T>, T> {
public:
    /// Draws W from tg::nn::default_rng() (re-seed it with tg::nn::manual_seed).
    Dense(std::size_t in_features, std::size_t out_features);
    /// Draws W from `rng` with the given rule.
    Dense(std::size_t in_features, std::size_t out_features, Rng& rng,
          Init weight_init = Init::xavier_uniform);
    /// Takes the given values: weight (out, in) and bias (out).
    Dense(const Array<T>& weight, const Array<T>& bias);

    /// x Wᵀ + b for x of shape (N, in), through tg::linear.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string describe() const override;
    /// Registers a zero weight (out, in) and bias (out) (clone() copies the values in).
    void reset() override;

    /// W, shape (out, in).
    const Tensor<T>& weight() const { return weight_; }
    /// b, shape (out).
    const Tensor<T>& bias() const { return bias_; }
    /// Number of inputs.
    std::size_t in_features() const { return in_features_; }
    /// Number of outputs.
    std::size_t out_features() const { return out_features_; }

private:
    void register_weights(Array<T> weight, Array<T> bias);

    std::size_t in_features_;
    std::size_t out_features_;
    Tensor<T> weight_;
    Tensor<T> bias_;
};

extern template class Dense<float>;
extern template class Dense<double>;

}  // namespace tg::nn
