#pragma once
// The losses, with PyTorch's names, options and formulas (torch.nn.functional): the
// squared-error ones (mse_loss, rmse, half_sse_per_example; each one recorded op,
// tg::scaled_squared_error) and the classification and robust regression ones: nll_loss,
// cross_entropy, binary_cross_entropy,
// binary_cross_entropy_with_logits, l1_loss, huber_loss, smooth_l1_loss, kl_div.
//
//     tg::Tensor<> loss = tg::nn::cross_entropy(logits, labels);            // mean over rows
//     tg::nn::CrossEntropyOptions<double> o;
//     o.weight = class_weights;  o.ignore_index = 0;  o.label_smoothing = 0.1;
//     tg::Tensor<> per_row = tg::nn::cross_entropy(logits, labels, o);   // o.reduction = ...
//
// One options style for every loss: PyTorch's keyword arguments are the fields of one
// aggregate per loss, in PyTorch's order, so C++20's designated initializers read as the
// Python call does (`F.huber_loss(x, y, reduction='sum', delta=0.5)`):
//
//     tg::nn::huber_loss(x, y, {.reduction = tg::nn::Reduction::sum, .delta = 0.5});
//     tg::nn::binary_cross_entropy_with_logits(z, y, {.pos_weight = p});
//
// (in C++17, set the fields of a named options object). The positional forms of before,
// `l1_loss(x, y, Reduction::sum)`, `binary_cross_entropy_with_logits(z, y, w, p,
// Reduction::sum)`, `huber_loss(x, y, reduction, delta)` and the like, still compile and
// do the same; they are kept for old code, not for new.
//
// Each is composed of recorded ops (log_softmax, gather, softplus, where, ...), so its
// gradient and second derivatives come from theirs. Class targets are a
// Tensor<std::int64_t> of class indices (PyTorch's type, what tg::argmax returns), whole
// numbers in a float or double tensor (as before index tensors existed), or a
// std::vector<std::size_t>; their gradient is never computed. The element-wise losses
// need input and target of the same shape: no silent broadcasting of (N) against (N, 1),
// a classic source of wrong losses (PyTorch broadcasts and warns). Values match
// PyTorch's to 1e-12 in double (tests/nn/losses_test.cpp, against numbers that
// tests/data/make_loss_reference.py computes with torch).

#include <tapegrad/ops/index.hpp>
#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace tg::nn {

/// How a loss reduces its per-element values ℓ_i (PyTorch's `reduction`).
enum class Reduction {
    none,       ///< ℓ itself, one value per element (per row for the class losses)
    mean,       ///< Σ ℓ_i / (number of elements), or / Σ weights for the weighted class losses
    sum,        ///< Σ ℓ_i
    batchmean,  ///< Σ ℓ_i / N, N = size of axis 0 (kl_div only; the true KL divergence per example)
};

/// Options of nll_loss (torch.nn.functional.nll_loss's keyword arguments).
template <class T>
struct NllLossOptions {
    /// Weight w_c of each class, shape (C); undefined: all 1. Used as a constant.
    Tensor<T> weight;
    /// Targets equal to this contribute nothing, to the sum or to the mean's denominator.
    long ignore_index = -100;
    /// none: shape of the target; mean: Σ ℓ / Σ w_{t}; sum.
    Reduction reduction = Reduction::mean;
};

/// Options of cross_entropy: nll_loss's and label smoothing (a flat aggregate, so that
/// designated initializers work).
template <class T>
struct CrossEntropyOptions {
    /// Weight w_c of each class, shape (C); undefined: all 1. Used as a constant.
    Tensor<T> weight;
    /// Targets equal to this contribute nothing, to the sum or to the mean's denominator.
    long ignore_index = -100;
    /// none: shape of the target; mean: Σ ℓ / Σ w_{t}; sum.
    Reduction reduction = Reduction::mean;
    /// ε in [0, 1]: the target becomes (1 − ε) onehot(t) + ε / C (PyTorch's formula below).
    double label_smoothing = 0;
};

/// Options of binary_cross_entropy.
template <class T>
struct BinaryCrossEntropyOptions {
    /// Weight of each element, broadcast to the input's shape; undefined: 1.
    Tensor<T> weight;
    /// mean over the elements, sum, or none (the input's shape).
    Reduction reduction = Reduction::mean;
};

/// Options of binary_cross_entropy_with_logits.
template <class T>
struct BinaryCrossEntropyWithLogitsOptions {
    /// Weight of each element, broadcast to the input's shape; undefined: 1.
    Tensor<T> weight;
    /// mean over the elements, sum, or none (the input's shape).
    Reduction reduction = Reduction::mean;
    /// Weight p of the positive terms, broadcast to the input's shape ((C): one per class
    /// of the last axis); undefined: 1.
    Tensor<T> pos_weight;
};

/// Options of l1_loss.
struct ReductionOptions {
    /// mean over the elements, sum, or none (the input's shape).
    Reduction reduction = Reduction::mean;
};

/// Options of huber_loss.
struct HuberLossOptions {
    /// mean over the elements, sum, or none (the input's shape).
    Reduction reduction = Reduction::mean;
    /// δ > 0: where the loss turns from quadratic to linear.
    double delta = 1.0;
};

/// Options of smooth_l1_loss.
struct SmoothL1LossOptions {
    /// mean over the elements, sum, or none (the input's shape).
    Reduction reduction = Reduction::mean;
    /// β >= 0: where the loss turns from quadratic to linear (0: l1_loss).
    double beta = 1.0;
};

/// Options of kl_div.
struct KlDivOptions {
    /// mean over the elements (PyTorch's default, not the divergence), batchmean (the
    /// divergence per example), sum, or none.
    Reduction reduction = Reduction::mean;
    /// Whether the target holds log-probabilities too.
    bool log_target = false;
};

/// The negative log-likelihood of class targets, given log-probabilities:
///     ℓ_n = −w_{t_n} · input[n, t_n]   (0 where t_n = ignore_index),
/// mean: Σ_n ℓ_n / Σ_n w_{t_n} (over targets not ignored; 0 / 0 = nan if all are).
/// input (N, C) with target (N), (N, C, d1, ...) with target (N, d1, ...) (the class axis
/// is 1), or (C) with a 0-d target. tg::ShapeError for other shapes, tg::ValueError for a
/// target that is not a whole number in [0, C) or ignore_index.
/// d/dinput[n, t_n] = −w_{t_n} (/ Σ w for the mean), 0 elsewhere.
template <class T>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<T>& target,
                   const NllLossOptions<T>& options = {});
/// nll_loss with the class indices in a Tensor<std::int64_t> (PyTorch's type): the same
/// loss and gradients; a negative target other than ignore_index is a tg::ValueError.
template <class T, class I, tg::detail::if_index_t<I> = 0>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<I>& target,
                   const NllLossOptions<T>& options = {});

/// Softmax cross-entropy on raw scores (logits), as torch's cross_entropy with class
/// indices. With p = log_softmax(logits) along the class axis, ε = label_smoothing and
/// m_n = [t_n ≠ ignore_index]:
///     ℓ_n = (1 − ε) · (−w_{t_n} p[n, t_n]) m_n + (ε / C) · (−Σ_c w_c p[n, c]) m_n,
/// mean: Σ_n ℓ_n / Σ_n w_{t_n} m_n, the denominator of nll_loss for both terms (as
/// PyTorch, so with weights the smoothing term is not a weighted mean of its own).
/// Shapes and errors as nll_loss; the messages say cross_entropy.
/// d/dlogits (unweighted, ε = 0) = (softmax(logits) − onehot(t)) / N.
///
/// A target of the logits' shape holds class probabilities q instead (PyTorch's rule):
///     ℓ = −Σ_c w_c q'_c log_softmax(logits)_c,  q' = (1 − ε) q + ε / C,
/// one per position (the logits without the class axis); mean: Σ ℓ / (number of
/// positions), not divided by the weights; ignore_index must stay negative (as PyTorch).
/// The target is differentiated too (d/dq_c = −(1 − ε) w_c log_softmax_c).
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<T>& target,
                        const CrossEntropyOptions<T>& options = {});
/// cross_entropy with the class indices in a Tensor<std::int64_t> (PyTorch's type): the
/// same loss and gradients. Always class indices: an int64 target of the logits' shape is
/// a tg::ShapeError, as in PyTorch (probabilities are float).
template <class T, class I, tg::detail::if_index_t<I> = 0>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<I>& target,
                        const CrossEntropyOptions<T>& options = {});

namespace detail {
/// Class indices as a tensor of whole numbers.
template <class T>
Tensor<T> class_index_tensor(const std::vector<std::size_t>& targets);
}  // namespace detail

/// cross_entropy with the class indices in a std::vector (one per row of (N, C) logits).
/// A braced list `{1, 0}` goes to the tensor overload, to the same effect.
template <class T, class Labels,
          class = std::enable_if_t<std::is_same_v<Labels, std::vector<std::size_t>>>>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Labels& targets,
                        const CrossEntropyOptions<T>& options = {}) {
    return cross_entropy(logits, detail::class_index_tensor<T>(targets), options);
}

/// Binary cross-entropy of probabilities x in [0, 1] against targets y (same shape):
///     ℓ_i = −w_i (y_i log x_i + (1 − y_i) log(1 − x_i)),
/// each log clamped at −100 as in PyTorch, so x = 0 or 1 gives a finite loss. `weight`
/// (undefined: 1) broadcasts to x's shape. tg::ValueError for x outside [0, 1].
/// The derivatives are PyTorch's, clamps included (one op with its own backward):
///     d/dx = w (x − y) / max(x (1 − x), 1e-12)     (−1e12 at x = 0, y = 1)
///     d/dy = −w log(x / (1 − x))                    (±inf at x = 0 or 1)
/// and the second derivatives are those of PyTorch's double backward.
template <class T>
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<T>& target,
                               const BinaryCrossEntropyOptions<T>& options = {});

/// Binary cross-entropy on logits x, stable for any x (PyTorch's formula):
///     ℓ_i = w_i ((1 − y_i) x_i + (1 + (p − 1) y_i) softplus(−x_i)),
/// which is −w (p y log σ(x) + (1 − y) log(1 − σ(x))) without computing σ. `weight` and
/// `pos_weight` p (undefined: 1; p of shape (C) weighs the positives of each class of
/// the last axis) broadcast to x's shape.
/// d/dx = w ((1 + (p − 1) y) σ(x) − p y)
template <class T>
Tensor<T> binary_cross_entropy_with_logits(
    const Tensor<T>& input, const Tensor<T>& target,
    const BinaryCrossEntropyWithLogitsOptions<T>& options = {});

/// ℓ_i = |x_i − y_i| (same shapes).   d/dx = sign(x − y), 0 where equal
template <class T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target,
                  const ReductionOptions& options = {});

/// Huber loss with threshold δ > 0, z = |x − y|:
///     ℓ = z² / 2 for z < δ,  δ (z − δ / 2) otherwise.
/// d/dx = clamp(x − y, −δ, δ)
template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target,
                     const HuberLossOptions& options = {});

/// Smooth L1 loss with threshold β >= 0, z = |x − y|:
///     ℓ = z² / (2β) for z < β,  z − β / 2 otherwise,
/// which is huber_loss(δ = β) / β, and l1_loss for β = 0 (as in PyTorch).
/// d/dx = clamp((x − y) / β, −1, 1)
template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target,
                         const SmoothL1LossOptions& options = {});

/// Kullback-Leibler divergence KL(target ‖ exp(input)) with input given as
/// log-probabilities (as PyTorch):
///     ℓ_i = t_i (log t_i − x_i)   (0 where t_i = 0), or with log_target
///     ℓ_i = e^{t_i} (t_i − x_i)   for a target given as log-probabilities too.
/// Reduction::batchmean divides the sum by the batch size (axis 0), which gives the
/// divergence per example; mean divides by the number of elements, as PyTorch's 'mean'.
/// d/dx = −t (or −e^t).  The target's gradient is 0 where t = 0 (PyTorch: −inf).
template <class T>
Tensor<T> kl_div(const Tensor<T>& input, const Tensor<T>& target, const KlDivOptions& options = {});

// ---- the positional forms of before ---------------------------------------------------
// Each forwards to the options form. The Reduction is a template parameter R so that a
// braced `{}` in its place cannot pick these (it would value-initialize the enum to
// Reduction::none); `{}` and `{.field = ...}` go to the options forms.

namespace detail {
/// Enables the positional loss forms for a Reduction argument only.
template <class R>
using IfReduction = std::enable_if_t<std::is_same_v<R, Reduction>>;
}  // namespace detail

/// binary_cross_entropy(input, target, {weight, reduction}).
template <class T, class R = Reduction, class = detail::IfReduction<R>>
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<T>& target,
                               const Tensor<T>& weight, R reduction = Reduction::mean) {
    return binary_cross_entropy(input, target, BinaryCrossEntropyOptions<T>{weight, reduction});
}

/// binary_cross_entropy_with_logits(input, target, {weight, reduction, pos_weight}).
template <class T, class R = Reduction, class = detail::IfReduction<R>>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target,
                                           const Tensor<T>& weight,
                                           const Tensor<T>& pos_weight = {},
                                           R reduction = Reduction::mean) {
    return binary_cross_entropy_with_logits(
        input, target, BinaryCrossEntropyWithLogitsOptions<T>{weight, reduction, pos_weight});
}

/// l1_loss(input, target, {reduction}).
template <class T, class R, class = detail::IfReduction<R>>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, R reduction) {
    return l1_loss(input, target, ReductionOptions{reduction});
}

/// huber_loss(input, target, {reduction, delta}).
template <class T, class R, class = detail::IfReduction<R>>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, R reduction,
                     double delta = 1.0) {
    return huber_loss(input, target, HuberLossOptions{reduction, delta});
}

/// smooth_l1_loss(input, target, {reduction, beta}).
template <class T, class R, class = detail::IfReduction<R>>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, R reduction,
                         double beta = 1.0) {
    return smooth_l1_loss(input, target, SmoothL1LossOptions{reduction, beta});
}

/// kl_div(input, target, {reduction, log_target}).
template <class T, class R, class = detail::IfReduction<R>>
Tensor<T> kl_div(const Tensor<T>& input, const Tensor<T>& target, R reduction,
                 bool log_target = false) {
    return kl_div(input, target, KlDivOptions{reduction, log_target});
}

#define TG_NN_LOSSES_EXTERN(T)                                                                \
    extern template Tensor<T> nll_loss<T>(const Tensor<T>&, const Tensor<T>&,                 \
                                          const NllLossOptions<T>&);                          \
    extern template Tensor<T> cross_entropy<T>(const Tensor<T>&, const Tensor<T>&,            \
                                               const CrossEntropyOptions<T>&);                \
    extern template Tensor<T> detail::class_index_tensor<T>(const std::vector<std::size_t>&); \
    extern template Tensor<T> binary_cross_entropy<T>(const Tensor<T>&, const Tensor<T>&,     \
                                                      const BinaryCrossEntropyOptions<T>&);   \
    extern template Tensor<T> binary_cross_entropy_with_logits<T>(                            \
        const Tensor<T>&, const Tensor<T>&, const BinaryCrossEntropyWithLogitsOptions<T>&);   \
    extern template Tensor<T> l1_loss<T>(const Tensor<T>&, const Tensor<T>&,                  \
                                         const ReductionOptions&);                            \
    extern template Tensor<T> huber_loss<T>(const Tensor<T>&, const Tensor<T>&,               \
                                            const HuberLossOptions&);                         \
    extern template Tensor<T> smooth_l1_loss<T>(const Tensor<T>&, const Tensor<T>&,           \
                                                const SmoothL1LossOptions&);                  \
    extern template Tensor<T> kl_div<T>(const Tensor<T>&, const Tensor<T>&, const KlDivOptions&);
TG_NN_LOSSES_EXTERN(float)
TG_NN_LOSSES_EXTERN(double)
#undef TG_NN_LOSSES_EXTERN

// ---- squared error ------------------------------------------------------------------
// Prediction and target must have the same shape: no silent broadcasting of (N) against
// (N, 1).
/// Mean squared error over every element: (1 / K) Σ (pred − target)², K = size(pred).
/// A 0-d tensor.   d/dpred = 2 (pred − target) / K
/// No options, as rmse and half_sse_per_example: each is one function of two tensors,
/// so `tg::nn::mse_loss<double>` can be passed where a loss is taken (DataParallel);
/// PyTorch's reduction='sum' is `mse_loss(p, t) * p.size()`, 'none' `square(p - t)`.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target);

/// Root mean squared error: √mse_loss(pred, target). A 0-d tensor.
/// (Its gradient is infinite where pred == target everywhere; use it as a metric.)
template <class T>
Tensor<T> rmse(const Tensor<T>& pred, const Tensor<T>& target);

/// Exactly the loss of the manual-backprop reference (docs/design.md):
///     L = (1 / 2N) Σ_n Σ_j (pred − target)²_nj,   N = pred.shape()[0] (the examples),
/// so that d L / d pred = (pred − target) / N, which is the reference's seed
/// dZ_L = (A_L − Y) ⊙ act'(Z_L) with its 1/N carried into dW and db. A 0-d tensor.
/// pred must have at least one dimension.
template <class T>
Tensor<T> half_sse_per_example(const Tensor<T>& pred, const Tensor<T>& target);

#define TG_NN_LOSS_EXTERN(T)                                                   \
    extern template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&); \
    extern template Tensor<T> rmse<T>(const Tensor<T>&, const Tensor<T>&);     \
    extern template Tensor<T> half_sse_per_example<T>(const Tensor<T>&, const Tensor<T>&);
TG_NN_LOSS_EXTERN(float)
TG_NN_LOSS_EXTERN(double)
#undef TG_NN_LOSS_EXTERN

}  // namespace tg::nn
