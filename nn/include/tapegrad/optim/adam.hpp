#pragma once
// tg::optim::Adam (Kingma & Ba, 2015) with bias correction.

#include <tapegrad/optim/optimizer.hpp>

#include <cstdint>
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
};

/// For each parameter p with gradient g, at its step t = 1, 2, ...:
///     d = g + λ p
///     m = β₁ m + (1 − β₁) d            v = β₂ v + (1 − β₂) d²       (m = v = 0 at t = 0)
///     m̂ = m / (1 − β₁ᵗ)                v̂ = v / (1 − β₂ᵗ)
///     p −= lr · m̂ / (√v̂ + ε)
template <class T = double>
class Adam : public Optimizer<T> {
public:
    /// Adam over `parameters` with learning rate α.
    Adam(std::vector<Tensor<T>> parameters, T learning_rate = T(1e-3), AdamOptions options = {});
    void step() override;
    /// The options given.
    const AdamOptions& options() const { return options_; }

private:
    struct State {
        Array<T> m;
        Array<T> v;
        std::uint64_t step = 0;
    };
    AdamOptions options_;
    std::vector<State> state_;
};

extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace tg::optim
