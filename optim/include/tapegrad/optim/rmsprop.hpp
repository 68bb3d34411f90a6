#pragma once
// tg::optim::RMSprop (Hinton's lecture 6e; the centered form of Graves, 2013), as
// PyTorch's torch.optim.RMSprop.

#include <tapegrad/optim/optimizer.hpp>

#include <vector>

namespace tg::optim {

/// Options of RMSprop (an aggregate), PyTorch's defaults.
struct RMSpropOptions {
    double alpha = 0.99;      ///< α: decay of the mean square
    double eps = 1e-8;        ///< ε added to the denominator
    double weight_decay = 0;  ///< λ: L2 penalty added to the gradient, for groups without one
    double momentum = 0;      ///< μ
    bool centered = false;    ///< divide by the estimated variance instead of the mean square
    bool maximize = false;    ///< ascend: g is replaced by −g (PyTorch's maximize)
};

/// For each parameter p with gradient g (λ and lr of p's group), all buffers 0 at first:
///     d = g + λ p         (−g for g with maximize)
///     s = α s + (1 − α) d²
///     a = α a + (1 − α) d,   r = √(s − a²) + ε      [centered]
///                            r = √s + ε             [otherwise]
///     b = μ b + d / r,       p −= lr · b            [μ > 0]
///                            p −= lr · d / r        [μ = 0]
/// μ is the group's momentum when a schedule set one (OneCycleLR), else the option. State
/// per parameter: "square_avg" (s), then "grad_avg" (a) when centered, then
/// "momentum_buffer" (b) when μ > 0 or a group has its own.
template <class T = double>
class RMSprop : public Optimizer<T> {
public:
    /// RMSprop over `parameters` with learning rate α (PyTorch's default 1e-2).
    RMSprop(std::vector<Tensor<T>> parameters, T learning_rate = T(1e-2),
            RMSpropOptions options = {});
    /// RMSprop over parameter groups; a group without its own learning rate or weight
    /// decay takes `learning_rate` or `options.weight_decay`.
    RMSprop(std::vector<ParamGroup<T>> groups, T learning_rate = T(1e-2),
            RMSpropOptions options = {});
    /// One update of every parameter that has a gradient, by the formulas above.
    void step() override;
    /// The options given.
    const RMSpropOptions& options() const { return options_; }
    /// The optimizer's name, for messages.
    std::string name() const override { return "RMSprop"; }
    /// The per-parameter buffers named above, in the order of the state's buffers.
    std::vector<std::string> buffer_names() const override;
    /// The options but the weight decay, as (name, value) pairs; booleans 0 or 1.
    std::vector<std::pair<std::string, double>> hyper_parameters() const override;
    /// "momentum": μ, which OneCycleLR may cycle per group.
    std::optional<std::string> momentum_name() const override { return "momentum"; }
    /// tg::ValueError unless μ >= 0.
    void check_momentum(double momentum) const override;

private:
    RMSpropOptions options_;
};

extern template class RMSprop<float>;
extern template class RMSprop<double>;

}  // namespace tg::optim
