#pragma once
// tg::nn::Dense: the fully connected layer y = x Wᵀ + b.

#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/module.hpp>

#include <cstddef>

namespace tg::nn {

/// A dense (fully connected, "Linear") layer: weight W of shape (out, in), bias b of
/// shape (out), forward(x) = x Wᵀ + b for x of shape (..., in) (every row, as
/// torch.nn.Linear), through the fused tg::linear. Parameters are named "weight" and
/// "bias" (no bias with `bias = false`: forward(x) = x Wᵀ).
///
/// Initialization: W by `weight_init` (Xavier/Glorot uniform by default: the blog
/// workload's rule), b = 0 (as Keras does), drawn from the Rng passed in, or from
/// tg::nn::default_rng(). With Init::pytorch_default, W and b are both drawn from
/// U(−1/√in, 1/√in), as torch.nn.Linear does; tg::nn::Linear is that layer.
template <class T = double>
class Dense : public Cloneable<Dense<T>, T> {
public:
    /// Draws W from tg::nn::default_rng() (re-seed it with tg::nn::manual_seed).
    Dense(std::size_t in_features, std::size_t out_features);
    /// Draws W (and, with Init::pytorch_default, b) from `rng` with the given rule; no bias
    /// parameter when `bias` is false.
    Dense(std::size_t in_features, std::size_t out_features, Rng& rng,
          Init weight_init = Init::xavier_uniform, bool bias = true);
    /// Takes the given values: weight (out, in) and bias (out).
    Dense(const Array<T>& weight, const Array<T>& bias);
    /// Takes the given weight (out, in); no bias.
    explicit Dense(const Array<T>& weight);

    /// x Wᵀ + b for x of shape (…, in) (any leading axes, as torch.nn.Linear), through
    /// tg::linear (x Wᵀ without a bias).
    Tensor<T> forward(const Tensor<T>& x) override;
    /// "Dense(in=3, out=2)" (", bias=False" without a bias).
    std::string describe() const override;
    /// Registers a zero weight (out, in) and bias (out) (clone() copies the values in).
    void reset() override;

    /// W, shape (out, in).
    const Tensor<T>& weight() const { return weight_; }
    /// b, shape (out); an undefined tensor when the layer has no bias.
    const Tensor<T>& bias() const { return bias_; }
    /// Whether the layer has a bias parameter.
    bool has_bias() const { return has_bias_; }
    /// Number of inputs.
    std::size_t in_features() const { return in_features_; }
    /// Number of outputs.
    std::size_t out_features() const { return out_features_; }

private:
    void register_weights(Array<T> weight, Array<T> bias);

    std::size_t in_features_;
    std::size_t out_features_;
    bool has_bias_ = true;
    Tensor<T> weight_;
    Tensor<T> bias_;
};

/// torch.nn.Linear: a Dense layer initialized as PyTorch initializes Linear (weight and
/// bias from U(−1/√in, 1/√in), Init::pytorch_default), optionally without a bias. Same
/// parameters ("weight" (out, in), "bias" (out)) as PyTorch, so a .npz of its state_dict
/// loads.
template <class T = double>
class Linear : public Dense<T> {
public:
    /// Draws from tg::nn::default_rng() (re-seed it with tg::nn::manual_seed).
    Linear(std::size_t in_features, std::size_t out_features, bool bias = true);
    /// Draws from `rng`.
    Linear(std::size_t in_features, std::size_t out_features, Rng& rng, bool bias = true);
    /// "Linear(in_features=3, out_features=2, bias=True)", as PyTorch prints it.
    std::string describe() const override;
    /// A deep copy that is again a Linear.
    std::shared_ptr<Module<T>> clone() const override;
};

extern template class Dense<float>;
extern template class Dense<double>;
extern template class Linear<float>;
extern template class Linear<double>;

}  // namespace tg::nn
