#pragma once
// tg::optim::Adam (Kingma & Ba, 2015) with bias correction, and tg::optim::AdamW
// (Loshchilov & Hutter, 2019): Adam with the weight decay decoupled from the gradient.

#include <tapegrad/optim/optimizer.hpp>

#include <vector>

namespace tg::optim {

/// Options of Adam (an aggregate: `{.beta2 = 0.99}` in C++20).
struct AdamOptions {
    /// β₁: decay of the first moment.
    double beta1 = 0.9;
    /// β₂: decay of the second moment.
    double beta2 = 0.999;
    /// ε added to the denominator.
    double eps = 1e-8;
    double weight_decay = 0;  ///< λ: L2 penalty added to the gradient (Adam, not AdamW)
    bool amsgrad = false;     ///< divide by the running maximum of v̂ (Reddi et al., 2018)
    bool maximize = false;    ///< ascend: g is replaced by −g (PyTorch's maximize)
};

/// Options of AdamW: Adam's, with PyTorch's default weight decay 1e-2.
struct AdamWOptions {
    double beta1 = 0.9;          ///< β₁: decay of the first moment
    double beta2 = 0.999;        ///< β₂: decay of the second moment
    double eps = 1e-8;           ///< ε added to the denominator
    double weight_decay = 1e-2;  ///< λ: p is multiplied by 1 − lr·λ before each update
    bool amsgrad = false;        ///< divide by the running maximum of v̂
    bool maximize = false;       ///< ascend: g is replaced by −g (PyTorch's maximize)
};

/// For each parameter p with gradient g, at its step t = 1, 2, ... (λ and lr of p's
/// group):
///     d = g + λ p                       (−g for g with maximize)
///     m = β₁ m + (1 − β₁) d            v = β₂ v + (1 − β₂) d²       (m = v = 0 at t = 0)
///     m̂ = m / (1 − β₁ᵗ)                v̂ = v / (1 − β₂ᵗ)
///     p −= lr · m̂ / (√v̂ + ε)
/// With amsgrad, v̂ is replaced by v̂max = max(v̂max, v̂) (PyTorch keeps the maximum of v,
/// "max_exp_avg_sq", and divides by 1 − β₂ᵗ after: the same). State per parameter:
/// "exp_avg" (m), "exp_avg_sq" (v), and "max_exp_avg_sq" with amsgrad. β₁ is the group's
/// momentum when a schedule set one (OneCycleLR), else the option.
template <class T = double>
class Adam : public Optimizer<T> {
public:
    /// Adam over `parameters` with learning rate α.
    Adam(std::vector<Tensor<T>> parameters, T learning_rate = T(1e-3), AdamOptions options = {});
    /// Adam over parameter groups; a group without its own learning rate or weight decay
    /// takes `learning_rate` or `options.weight_decay`.
    Adam(std::vector<ParamGroup<T>> groups, T learning_rate = T(1e-3), AdamOptions options = {});
    /// One update of every parameter that has a gradient, by the formulas above.
    void step() override;
    /// The options given.
    const AdamOptions& options() const { return options_; }
    /// The optimizer's name, for messages.
    std::string name() const override { return decoupled_ ? "AdamW" : "Adam"; }
    /// The per-parameter buffers named above, in the order of the state's buffers.
    std::vector<std::string> buffer_names() const override;
    /// The options but the weight decay, as (name, value) pairs; booleans 0 or 1.
    std::vector<std::pair<std::string, double>> hyper_parameters() const override;
    /// "beta1": β₁, which OneCycleLR may cycle per group.
    std::optional<std::string> momentum_name() const override { return "beta1"; }
    /// tg::ValueError unless β₁ lies in [0, 1).
    void check_momentum(double beta1) const override;

protected:
    /// Adam, or AdamW when `decoupled`.
    Adam(std::vector<ParamGroup<T>> groups, T learning_rate, AdamOptions options, bool decoupled);

private:
    AdamOptions options_;
    bool decoupled_ = false;
};

/// AdamW, PyTorch's torch.optim.AdamW: Adam whose weight decay shrinks the parameter
/// instead of adding to the gradient. At each step, before Adam's update with d = g:
///     p −= lr · λ · p              (p ← (1 − lr·λ) p)
/// Defaults as PyTorch's: lr 1e-3, β (0.9, 0.999), ε 1e-8, λ 1e-2.
template <class T = double>
class AdamW : public Adam<T> {
public:
    /// AdamW over `parameters` with learning rate α.
    AdamW(std::vector<Tensor<T>> parameters, T learning_rate = T(1e-3), AdamWOptions options = {});
    /// AdamW over parameter groups; a group without its own learning rate or weight
    /// decay takes `learning_rate` or `options.weight_decay`.
    AdamW(std::vector<ParamGroup<T>> groups, T learning_rate = T(1e-3), AdamWOptions options = {});
};

extern template class Adam<float>;
extern template class Adam<double>;
extern template class AdamW<float>;
extern template class AdamW<double>;

}  // namespace tg::optim
