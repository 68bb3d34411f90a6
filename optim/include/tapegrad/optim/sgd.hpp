#pragma once
// tg::optim::SGD: stochastic gradient descent with momentum, dampening and weight decay
// (PyTorch's rule).

#include <tapegrad/optim/optimizer.hpp>

#include <vector>

namespace tg::optim {

/// Options of SGD (an aggregate: `{.momentum = 0.9}` in C++20).
struct SGDOptions {
    double momentum = 0;      ///< μ
    double weight_decay = 0;  ///< λ (L2 penalty added to the gradient), for groups without one
    bool nesterov = false;    ///< use g + μ·v instead of v
    double dampening = 0;     ///< τ: v = μ v + (1 − τ) d after the first step
    bool maximize = false;    ///< ascend: g is replaced by −g (PyTorch's maximize)
};

/// For each parameter p with gradient g, at step t (λ and lr of p's group):
///     d = g + λ p         (−g for g with maximize)
///     v = d               (t = 1)      v = μ v + (1 − τ) d   (t > 1)   [only when μ ≠ 0]
///     p −= lr · (nesterov ? d + μ v : v)                           [μ = 0: p −= lr · d]
/// With the default options this is plain gradient descent p −= lr · g, the reference's
/// update rule 4. μ is the group's momentum when a schedule set one (OneCycleLR), else the
/// option. State per parameter: "momentum_buffer" (v) when μ ≠ 0 or a group has its own.
template <class T = double>
class SGD : public Optimizer<T> {
public:
    /// SGD over `parameters` with learning rate α.
    SGD(std::vector<Tensor<T>> parameters, T learning_rate, SGDOptions options = {});
    /// SGD over parameter groups; a group without its own learning rate or weight decay
    /// takes `learning_rate` or `options.weight_decay`.
    SGD(std::vector<ParamGroup<T>> groups, T learning_rate, SGDOptions options = {});
    /// One update of every parameter that has a gradient, by the formulas above.
    void step() override;
    /// The options given.
    const SGDOptions& options() const { return options_; }
    /// The optimizer's name, for messages.
    std::string name() const override { return "SGD"; }
    /// The per-parameter buffers named above, in the order of the state's buffers.
    std::vector<std::string> buffer_names() const override;
    /// The options but the weight decay, as (name, value) pairs; booleans 0 or 1.
    std::vector<std::pair<std::string, double>> hyper_parameters() const override;
    /// "momentum": μ, which OneCycleLR may cycle per group.
    std::optional<std::string> momentum_name() const override { return "momentum"; }
    /// tg::ValueError unless μ >= 0.
    void check_momentum(double momentum) const override;

private:
    SGDOptions options_;
};

extern template class SGD<float>;
extern template class SGD<double>;

}  // namespace tg::optim
