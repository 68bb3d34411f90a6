#pragma once
// tg::optim::SGD: stochastic gradient descent with momentum and weight decay (PyTorch's
// rule, dampening 0).

#include <tapegrad/optim/optimizer.hpp>

#include <vector>

namespace tg::optim {

/// Options of SGD (an aggregate: `{.momentum = 0.9}` in C++20).
struct SGDOptions {
    double momentum = 0;      ///< μ
    double weight_decay = 0;  ///< λ (L2 penalty added to the gradient)
    bool nesterov = false;    ///< use g + μ·v instead of v
};

/// For each parameter p with gradient g, at step t:
///     d = g + λ p
///     v = d               (t = 1)      v = μ v + d   (t > 1)       [only when μ ≠ 0]
///     p −= lr · (nesterov ? d + μ v : v)                           [μ = 0: p −= lr · d]
/// With the default options this is plain gradient descent p −= lr · g, the reference's
/// update rule 4.
template <class T = double>
class SGD : public Optimizer<T> {
public:
    /// SGD over `parameters` with learning rate α.
    SGD(std::vector<Tensor<T>> parameters, T learning_rate, SGDOptions options = {});
    void step() override;
    /// The options given.
    const SGDOptions& options() const { return options_; }

private:
    SGDOptions options_;
    std::vector<Array<T>> velocity_;  ///< v per parameter; empty until its first step
};

extern template class SGD<float>;
extern template class SGD<double>;

}  // namespace tg::optim
