#pragma once
// tg::optim::LBFGS: limited-memory BFGS with an optional strong-Wolfe line search,
// PyTorch 1.13's torch.optim.LBFGS step for step. Each step() runs up to max_iter
// iterations and evaluates the loss several times, so it takes a closure that zeroes the
// gradients, computes the loss, calls backward and returns the loss:
//
//     tg::optim::LBFGSOptions options;
//     options.line_search_fn = "strong_wolfe";        // PyTorch's default: none
//     tg::optim::LBFGS<> opt(net.parameters(), 1.0, options);
//     tg::Tape tape;
//     auto closure = [&] {
//         opt.zero_grad();
//         tg::Tensor<> loss = tg::nn::mse_loss(net(x), y);
//         tape.backward(loss);
//         return loss;
//     };
//     for (int i = 0; i < 10; ++i) opt.step(closure);
//
// The parameters are seen as one flat vector x (all of them, in order, each flattened in
// C order); a parameter without a gradient counts as a zero gradient, as in PyTorch.

#include <tapegrad/optim/optimizer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tg::optim {

/// Options of LBFGS, PyTorch's arguments and defaults (an aggregate).
struct LBFGSOptions {
    long max_iter = 20;  ///< iterations per step (>= 1)
    /// Evaluations of the closure per step (>= 1); max_iter · 5 / 4 (integer division,
    /// PyTorch's max_iter * 5 // 4) when empty.
    std::optional<long> max_eval = std::nullopt;
    double tolerance_grad = 1e-7;    ///< stop when max |g| <= this (first-order optimality)
    double tolerance_change = 1e-9;  ///< stop when the loss or the step changes less than this
    long history_size = 100;         ///< pairs (s, y) kept (>= 1)
    /// "strong_wolfe" for a line search satisfying the strong Wolfe conditions, or empty
    /// for a fixed step of the learning rate (PyTorch's None).
    std::optional<std::string> line_search_fn = std::nullopt;
};

/// The state LBFGS keeps between steps, PyTorch's state[params[0]] (its names; PyTorch's
/// `al` is scratch, rewritten before it is read, and not kept). The vectors are flat, over
/// all parameters, in the parameters' type; the scalars, and every dot product, are
/// double. Everything is empty before the first iteration.
template <class T = double>
struct LBFGSState {
    std::uint64_t func_evals = 0;          ///< closure evaluations over all steps
    std::uint64_t n_iter = 0;              ///< iterations over all steps
    std::vector<T> d;                      ///< the last search direction
    double t = 0;                          ///< the last step length
    std::vector<std::vector<T>> old_dirs;  ///< y_i = g_{i+1} − g_i, oldest first
    std::vector<std::vector<T>> old_stps;  ///< s_i = t_i d_i, oldest first
    std::vector<double> ro;                ///< ρ_i = 1 / (y_i · s_i)
    double H_diag = 1;                     ///< γ = y·s / y·y, the initial inverse Hessian
    std::vector<T> prev_flat_grad;         ///< the gradient at the start of the last iteration
    double prev_loss = 0;                  ///< the loss there
};

/// One step(closure), from the flat parameters x, its loss f and gradient g = ∇f:
///
///     stop at once when max |g| <= tolerance_grad
///     repeat up to max_iter times (n counts iterations over all steps):
///         n = 1:  d = −g, no history, γ = 1
///         else:   y = g − g_prev, s = t d; when y·s > 1e-10 append (y, s, ρ = 1/(y·s)),
///                 dropping the oldest beyond history_size, and γ = y·s / y·y;
///                 d = −H g by the two-loop recursion (q = −g; newest to oldest:
///                 α_i = ρ_i s_i·q, q −= α_i y_i; r = γ q; oldest to newest:
///                 β_i = ρ_i y_i·r, r += (α_i − β_i) s_i; d = r)
///         t = lr · min(1, 1 / Σ|g|) when n = 1, else lr
///         stop when g·d > −tolerance_change
///         strong_wolfe: t from PyTorch's line search (cubic interpolation, c1 = 1e-4,
///                       c2 = 0.9, at most 25 evaluations), x += t d, f and g from there
///         none:         x += t d; f, g re-evaluated unless this is the last iteration
///         stop after max_iter iterations, max_eval evaluations, max |g| <= tolerance_grad,
///         max |t d| <= tolerance_change, or |f − f_prev| < tolerance_change
///
/// The step returns the loss of its first evaluation, as PyTorch's. Only one parameter
/// group is allowed (as PyTorch), without weight decay.
template <class T = double>
class LBFGS : public Optimizer<T> {
public:
    /// The closure: zeroes the gradients, computes the loss (a one-element tensor), calls
    /// backward on it and returns it.
    using Closure = std::function<Tensor<T>()>;

    /// LBFGS over `parameters` with learning rate lr (PyTorch's default 1).
    explicit LBFGS(std::vector<Tensor<T>> parameters, T learning_rate = 1,
                   LBFGSOptions options = {});
    /// LBFGS over one parameter group (tg::ValueError for more, or for a weight decay).
    explicit LBFGS(std::vector<ParamGroup<T>> groups, T learning_rate = 1,
                   LBFGSOptions options = {});

    /// One optimization step by the formulas above; returns the closure's first loss.
    Tensor<T> step(const Closure& closure);
    /// tg::ValueError: LBFGS evaluates the loss several times per step; use step(closure).
    void step() override;

    /// The options given, max_eval filled in.
    const LBFGSOptions& options() const { return options_; }
    /// The state kept between steps.
    const LBFGSState<T>& lbfgs_state() const { return state_; }
    /// The optimizer's name, for messages.
    std::string name() const override { return "LBFGS"; }
    /// None per parameter: LBFGS's state is global (lbfgs_state()).
    std::vector<std::string> buffer_names() const override { return {}; }
    /// max_iter, max_eval, tolerance_grad, tolerance_change, history_size and
    /// line_search_fn (1 for "strong_wolfe", 0 for none).
    std::vector<std::pair<std::string, double>> hyper_parameters() const override;

    /// lbfgs_state() for tg::optim::save, in float64, PyTorch's names: func_evals and
    /// n_iter () after a first step; after a first iteration also d (N), t (), old_dirs
    /// (m, N), old_stps (m, N), ro (m), H_diag (), prev_flat_grad (N) and prev_loss (),
    /// for N elements of all parameters and m pairs kept.
    std::vector<std::pair<std::string, Array<double>>> global_state() const override;
    /// The names above.
    std::vector<std::string> global_state_names() const override;
    /// Whether entry `name` may have `shape`: () for the scalars, (N) for d and
    /// prev_flat_grad, (m, N) and (m) for the history with m <= history_size.
    bool global_state_fits(const std::string& name, const Shape& shape) const override;
    /// tg::ValueError when an entry of global_state()'s form is missing, a count is not a
    /// whole number, or the history's lengths differ.
    void check_global_state(
        const std::vector<std::pair<std::string, Array<double>>>& entries) const override;
    /// Sets lbfgs_state() from entries of global_state()'s form.
    void restore_global_state(
        const std::vector<std::pair<std::string, Array<double>>>& entries) override;

private:
    /// The state `entries` describe (check_global_state's errors).
    LBFGSState<T> state_from(
        const std::vector<std::pair<std::string, Array<double>>>& entries) const;
    /// The loss the closure returns, checked to be a one-element tensor, and the
    /// gradient it left (flat_grad()).
    Tensor<T> evaluate(const Closure& closure, std::vector<T>& grad) const;
    /// The gradients of every parameter, flattened and concatenated (zeros where none).
    std::vector<T> flat_grad() const;
    /// x += t · d over the flat parameters.
    void add_step(T t, const std::vector<T>& d);
    /// The flat parameters.
    std::vector<T> flat_params() const;
    /// Sets the flat parameters to x.
    void set_params(const std::vector<T>& x);

    LBFGSOptions options_;
    LBFGSState<T> state_;
};

extern template class LBFGS<float>;
extern template class LBFGS<double>;

}  // namespace tg::optim
