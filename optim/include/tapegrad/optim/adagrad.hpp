#pragma once
// tg::optim::Adagrad (Duchi, Hazan & Singer, 2011), as PyTorch's torch.optim.Adagrad.

#include <tapegrad/optim/optimizer.hpp>

#include <vector>

namespace tg::optim {

/// Options of Adagrad (an aggregate), PyTorch's defaults.
struct AdagradOptions {
    double lr_decay = 0;                   ///< δ: the step size is lr / (1 + (t − 1) δ)
    double weight_decay = 0;               ///< λ: L2 penalty added to the gradient
    double initial_accumulator_value = 0;  ///< the sum of squares before the first step
    double eps = 1e-10;                    ///< ε added to the denominator
    bool maximize = false;                 ///< ascend: g is replaced by −g (PyTorch's maximize)
};

/// For each parameter p with gradient g, at its step t = 1, 2, ... (λ and lr of p's
/// group):
///     d = g + λ p         (−g for g with maximize)
///     s = s + d²                          (s = initial_accumulator_value at t = 0)
///     p −= lr / (1 + (t − 1) δ) · d / (√s + ε)
/// State per parameter: "sum" (s).
template <class T = double>
class Adagrad : public Optimizer<T> {
public:
    /// Adagrad over `parameters` with learning rate α (PyTorch's default 1e-2).
    Adagrad(std::vector<Tensor<T>> parameters, T learning_rate = T(1e-2),
            AdagradOptions options = {});
    /// Adagrad over parameter groups; a group without its own learning rate or weight
    /// decay takes `learning_rate` or `options.weight_decay`.
    Adagrad(std::vector<ParamGroup<T>> groups, T learning_rate = T(1e-2),
            AdagradOptions options = {});
    /// One update of every parameter that has a gradient, by the formulas above.
    void step() override;
    /// The options given.
    const AdagradOptions& options() const { return options_; }
    /// The optimizer's name, for messages.
    std::string name() const override { return "Adagrad"; }
    /// The per-parameter buffers named above, in the order of the state's buffers.
    std::vector<std::string> buffer_names() const override { return {"sum"}; }
    /// The options but the weight decay, as (name, value) pairs; booleans 0 or 1.
    std::vector<std::pair<std::string, double>> hyper_parameters() const override;

private:
    AdagradOptions options_;
};

extern template class Adagrad<float>;
extern template class Adagrad<double>;

}  // namespace tg::optim
