#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/detail/row_exp.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace tg::nn {
namespace {

/// tg::ShapeError naming `loss` unless prediction and target have one shape with at
/// least one element.
template <class T>
void check_same_shape(const char* loss, const Tensor<T>& pred, const Tensor<T>& target) {
    const Shape p = pred.shape();
    const Shape t = target.shape();
    TG_CHECK(p == t, ShapeError, loss, ": prediction of shape ", p, " and target of shape ", t,
             " differ; give both the same shape (reshape the target, e.g. (N) to (N, 1))");
    TG_CHECK(pred.size() > 0, ShapeError, loss, ": prediction of shape ", p,
             " has no elements; a loss needs at least one");
}

std::string number(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

/// tg::ValueError naming `loss` for Reduction::batchmean, which only kl_div has.
void check_reduction(const char* loss, Reduction reduction) {
    TG_CHECK(reduction != Reduction::batchmean, ValueError, loss,
             ": Reduction::batchmean is for kl_div only; use mean, sum or none");
}

/// The checks of an element-wise loss: one shape for input and target, a reduction it has.
template <class T>
void check_elementwise(const char* loss, const Tensor<T>& input, const Tensor<T>& target,
                       Reduction reduction) {
    check_same_shape(loss, input, target);
    check_reduction(loss, reduction);
}

/// Applies `reduction` (checked before) to the per-element losses.
template <class T>
Tensor<T> reduce(const Tensor<T>& per_element, Reduction reduction) {
    if (reduction == Reduction::sum) return sum(per_element);
    if (reduction == Reduction::mean) return mean(per_element);
    return per_element;
}

/// tg::ShapeError naming `loss` unless the optional tensor `t` broadcasts to `shape`.
template <class T>
void check_broadcasts(const char* loss, const char* what, const Tensor<T>& t, const Shape& shape) {
    TG_CHECK(!t.defined() || tg::detail::broadcasts_to(t.shape(), shape), ShapeError, loss, ": ",
             what, " of shape ", t.shape(), " does not broadcast to the input's shape ", shape);
}

/// The constants a class loss needs from its targets: the index tensor for gather (the
/// target's shape with the class axis inserted, of size 1), the weight of each target
/// (w_{t_n}, 0 where ignored) and their sum, the mean's denominator.
template <class T>
struct ClassTargets {
    std::size_t axis;  ///< the class axis of the input
    Tensor<T> index;
    Tensor<T> weight;
    Tensor<T> kept;  ///< 1 where the target is not ignore_index
    T total;
};

/// Whether a class label of type L (float, double or int64) is a whole number.
template <class L>
bool whole(L label) {
    if constexpr (std::is_integral_v<L>)
        return true;
    else
        return label == std::floor(label);
}

template <class T, class L>
ClassTargets<T> class_targets(const char* loss, const char* input_name, const Tensor<T>& input,
                              const Tensor<L>& target, const NllLossOptions<T>& options) {
    check_reduction(loss, options.reduction);
    const Shape s = input.shape();
    const std::size_t axis = s.size() >= 2 ? 1 : 0;
    Shape expected, index_shape;  // the input's shape without, and with 1 at, the class axis
    for (std::size_t k = 0; k < s.size(); ++k) {
        if (k != axis) expected.push_back(s[k]);
        index_shape.push_back(k == axis ? 1 : s[k]);
    }
    const Shape t = target.shape();
    TG_CHECK(!s.empty() && t == expected && input.size() > 0, ShapeError, loss, ": ", input_name,
             " of shape ", s, " with ", target.size(), " targets of shape ", t, "; pass ",
             input_name,
             " (N, C) and one class index per row (N targets), or (N, C, d1, ...) with targets "
             "(N, d1, ...), or (C) with a 0-d target; N, C >= 1");
    const std::size_t classes = s[axis];
    TG_CHECK(!options.weight.defined() || options.weight.shape() == Shape{classes}, ShapeError,
             loss, ": weight of shape ", options.weight.shape(), " for ", classes,
             " classes; pass one weight per class (shape (", classes, "))");

    Array<T> index(index_shape), weight(t), kept(t);
    T total = 0;
    const L* labels = target.value().data();
    for (std::size_t i = 0; i < target.size(); ++i) {
        const L label = labels[i];
        if (label == static_cast<L>(options.ignore_index)) {
            index.data()[i] = kept.data()[i] = weight.data()[i] = T(0);
            continue;
        }
        TG_CHECK(label >= 0 && label < static_cast<L>(classes) && whole(label), ValueError, loss,
                 ": target ", i, " is class ", number(static_cast<double>(label)), " but the ",
                 input_name, " have ", classes,
                 " classes; class indices must be whole numbers in [0, ", classes,
                 ") or ignore_index (", options.ignore_index, ")");
        const auto c = static_cast<std::size_t>(label);
        index.data()[i] = static_cast<T>(c);
        kept.data()[i] = T(1);
        weight.data()[i] = options.weight.defined() ? options.weight.value().data()[c] : T(1);
        total += weight.data()[i];
    }
    return {axis, Tensor<T>(std::move(index)), Tensor<T>(std::move(weight)),
            Tensor<T>(std::move(kept)), total};
}

/// −w_{t_n} input[n, t_n], the shape of the target.
template <class T>
Tensor<T> weighted_pick(const Tensor<T>& input, const ClassTargets<T>& c) {
    return -(reshape(gather(input, static_cast<long>(c.axis), c.index), c.weight.shape()) *
             c.weight);
}

/// The reduction of the class losses: the mean divides by Σ w_{t_n}.
template <class T>
Tensor<T> reduce_classes(const Tensor<T>& per_target, Reduction reduction, T total) {
    if (reduction == Reduction::mean) return sum(per_target) / total;
    return reduce(per_target, reduction);
}

}  // namespace

template <class T>
Tensor<T> detail::class_index_tensor(const std::vector<std::size_t>& targets) {
    Array<T> out(Shape{targets.size()});
    for (std::size_t i = 0; i < targets.size(); ++i) out(i) = static_cast<T>(targets[i]);
    return Tensor<T>(std::move(out));
}

namespace {

/// nll_loss for class indices of type L (T or int64).
template <class T, class L>
Tensor<T> nll_loss_any(const Tensor<T>& input, const Tensor<L>& target,
                       const NllLossOptions<T>& options) {
    const ClassTargets<T> c = class_targets("nll_loss", "input", input, target, options);
    return reduce_classes(weighted_pick(input, c), options.reduction, c.total);
}

}  // namespace

template <class T>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<T>& target,
                   const NllLossOptions<T>& options) {
    return nll_loss_any(input, target, options);
}

template <class T, class I, tg::detail::if_index_t<I>>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<I>& target,
                   const NllLossOptions<T>& options) {
    return nll_loss_any(input, target, options);
}

namespace {

/// cross_entropy with class probabilities q of the logits' shape (PyTorch's
/// cross_entropy_loss_prob_target): q ← (1 − ε) q + ε / C, then
///     ℓ = −Σ_c w_c q_c log_softmax(logits)_c   along the class axis,
/// mean: Σ ℓ / (number of positions, N·d1·...), unweighted whatever the weights.
template <class T>
Tensor<T> cross_entropy_probabilities(const Tensor<T>& logits, const Tensor<T>& target,
                                      const CrossEntropyOptions<T>& options) {
    check_reduction("cross_entropy", options.reduction);
    TG_CHECK(options.ignore_index < 0, ValueError, "cross_entropy: ignore_index ",
             options.ignore_index,
             " with class-probability targets (the logits' shape); PyTorch refuses it too: "
             "leave ignore_index negative");
    const Shape s = logits.shape();
    TG_CHECK(logits.size() > 0, ShapeError, "cross_entropy: logits of shape ", s,
             " have no elements; a loss needs at least one");
    const std::size_t axis = s.size() >= 2 ? 1 : 0, classes = s[axis];
    Shape w_shape;  // the weights along the class axis: (C) or (C, 1, ..., 1)
    for (std::size_t k = axis; k < s.size(); ++k) w_shape.push_back(k == axis ? classes : 1);
    TG_CHECK(!options.weight.defined() || options.weight.shape() == Shape{classes}, ShapeError,
             "cross_entropy: weight of shape ", options.weight.shape(), " for ", classes,
             " classes; pass one weight per class (shape (", classes, "))");
    const double eps = options.label_smoothing;
    Tensor<T> q = target;
    if (eps > 0) q = T(1 - eps) * q + T(eps) / static_cast<T>(classes);
    Tensor<T> terms = log_softmax(logits, static_cast<long>(axis)) * q;
    if (options.weight.defined()) terms = terms * reshape(options.weight.detach(), w_shape);
    const Tensor<T> per_position = -sum(terms, {static_cast<long>(axis)});
    if (options.reduction == Reduction::mean)
        return sum(per_position) / static_cast<T>(logits.size() / classes);
    return reduce(per_position, options.reduction);
}

/// cross_entropy of logits (N, C) against class indices without label smoothing, as one
/// recorded op instead of log_softmax, gather, mul, neg and sum:
///     ℓ_n = −w_{t_n} y_{n t_n},  y = (x − m) − log Σ_c e^(x − m)  (m: the row's maximum),
/// w_{t_n} = 0 where t_n is ignored; the reduction as reduce_classes. Backward, with ḡ_n the
/// gradient reaching ℓ_n (g / Σ w for the mean, g for the sum, g_n for none):
///     ∂/∂x_nc = w_{t_n} ḡ_n (e^(y_nc) − [c = t_n]).
/// The composite's rounding in the forward pass (log_softmax's row_max and sum_exp,
/// tapegrad/detail/row_exp.hpp), so the values are its own; the gradient's e^y rounds
/// within an ulp of the composite's exp of y (SIMD exp, as the exp op). It keeps
/// the logits and two numbers a row for backward (the composite kept y, as large), but
/// computes no y in the forward pass and makes one (N, C) array in backward where the
/// composite made four (gather's dense gradient, e^y, the product, the difference): at
/// GPT-2's 50,257 classes and 256 rows, 0.2 GB less peak memory (benchmarks/README.md,
/// "Peak memory of GPT-2 124M").
template <class T>
Tensor<T> fused_cross_entropy(const Tensor<T>& logits, const ClassTargets<T>& c,
                              Reduction reduction) {
    const std::size_t n = logits.shape()[0], classes = logits.shape()[1];
    const T* x = logits.value().data();
    const T* w = c.weight.value().data();
    const T* t = c.index.value().data();
    // Per row: m and log Σ e^(x − m). Rows are independent: the intra-op threads share them;
    // the sum over rows below stays one loop in row order.
    Array<T> stats = Array<T>::from_shape({n, 2});
    Array<T> per_target = Array<T>::from_shape({n});
    T* row_stats = stats.data();
    T* losses = per_target.data();
    tg::detail::parallel_for(
        n, tg::detail::rows_per_thread(classes), [&](std::size_t first, std::size_t last) {
            for (std::size_t r = first; r < last; ++r) {
                const T* row = x + r * classes;
                const T m = tg::detail::row_max(row, classes);
                const T log_total = std::log(tg::detail::sum_exp(row, classes, m, (T*)nullptr));
                row_stats[2 * r] = m;
                row_stats[2 * r + 1] = log_total;
                losses[r] = -((row[static_cast<std::size_t>(t[r])] - m - log_total) * w[r]);
            }
        });
    Tensor<T> out;
    if (reduction == Reduction::none) {
        out = Tensor<T>(std::move(per_target));
    } else {
        T sum = 0;
        for (std::size_t r = 0; r < n; ++r) sum += per_target(r);
        Array<T> value = Array<T>::from_shape({});
        value() = reduction == Reduction::mean ? sum / c.total : sum;
        out = Tensor<T>(std::move(value));
    }
    record("cross_entropy", {logits}, out, {logits},
           [stats = std::move(stats), index = c.index, weight = c.weight, total = c.total,
            reduction, n, classes](BackwardContext<T>& b) {
               if (!b.needs(0)) return;
               // ḡ_n w_{t_n}: one number (mean, sum) or one per row (none) from the gradient.
               const bool per_row = reduction == Reduction::none;
               if (b.create_graph()) {
                   // Composed of recorded ops, so the gradient has derivatives too.
                   Array<T> onehot = Array<T>::from_shape({n, classes});
                   onehot.fill(T(0));
                   for (std::size_t r = 0; r < n; ++r)
                       if (weight.value()(r) != T(0))
                           onehot(r, static_cast<std::size_t>(index.value()(r, 0))) = T(1);
                   const Tensor<T> scale =
                       reduction == Reduction::mean ? b.grad() / total * weight : b.grad() * weight;
                   b.add(0, (softmax(b.saved(0), 1) - Tensor<T>(std::move(onehot))) *
                                reshape(scale, {n, 1}));
                   return;
               }
               const T* xs = b.saved(0).value().data();
               const T* g = b.grad().value().data();
               const T* ws = weight.value().data();
               const T* ts = index.value().data();
               const T* row_stats = stats.data();
               Array<T> dx = Array<T>::from_shape({n, classes});
               T* d = dx.data();
               tg::detail::parallel_for(
                   n, tg::detail::rows_per_thread(classes),
                   [&](std::size_t first, std::size_t last) {
                       for (std::size_t r = first; r < last; ++r) {
                           const T g_r = per_row                        ? g[r]
                                         : reduction == Reduction::mean ? g[0] / total
                                                                        : g[0];
                           const T s = g_r * ws[r];
                           const T m = row_stats[2 * r], log_total = row_stats[2 * r + 1];
                           const T* row = xs + r * classes;
                           T* out_row = d + r * classes;
                           tg::detail::scaled_exp(row, classes, m + log_total, s, out_row);
                           out_row[static_cast<std::size_t>(ts[r])] -= s;
                       }
                   });
               b.add(0, Tensor<T>(std::move(dx)));
           });
    return out;
}

}  // namespace

template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<T>& target,
                        const CrossEntropyOptions<T>& options) {
    const double eps = options.label_smoothing;
    TG_CHECK(eps >= 0 && eps <= 1, ValueError, "cross_entropy: label_smoothing is ", number(eps),
             "; it must lie in [0, 1]");
    if (logits.dim() >= 1 && target.shape() == logits.shape())
        return cross_entropy_probabilities(logits, target, options);
    const ClassTargets<T> c =
        class_targets("cross_entropy", "logits", logits, target,
                      NllLossOptions<T>{options.weight, options.ignore_index, options.reduction});
    if (eps == 0 && logits.dim() == 2) return fused_cross_entropy(logits, c, options.reduction);
    const long axis = static_cast<long>(c.axis);
    const Tensor<T> log_p = log_softmax(logits, axis);
    Tensor<T> per_target = weighted_pick(log_p, c);
    if (eps > 0) {
        // −Σ_c w_c log p_c, with the weights along the class axis: (C) or (C, 1, ..., 1).
        Tensor<T> weighted = log_p;
        if (options.weight.defined()) {
            Shape w_shape;
            for (std::size_t k = c.axis; k < logits.dim(); ++k)
                w_shape.push_back(k == c.axis ? logits.shape()[k] : 1);
            weighted = log_p * reshape(options.weight.detach(), w_shape);
        }
        const Tensor<T> smooth = -sum(weighted, {axis}) * c.kept;
        const T classes = static_cast<T>(logits.shape()[c.axis]);
        per_target = T(1 - eps) * per_target + (T(eps) / classes) * smooth;
    }
    return reduce_classes(per_target, options.reduction, c.total);
}

template <class T, class I, tg::detail::if_index_t<I>>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<I>& target,
                        const CrossEntropyOptions<T>& options) {
    // Checked as class indices first (negative ones, and an int64 target of the logits'
    // shape, which the float overload would read as probabilities), then the float path:
    // indices below C are exact in T.
    class_targets("cross_entropy", "logits", logits, target,
                  NllLossOptions<T>{options.weight, options.ignore_index, options.reduction});
    return cross_entropy(logits, to_floating<T>(target), options);
}

namespace {

/// PyTorch's clamp of binary_cross_entropy's first derivative: the float 1e-12f, in every
/// dtype (aten's EPSILON), 9.99999996e-13 as a double.
constexpr float kBceGradEps = 1e-12f;
/// The clamp of its second derivatives (torch/csrc/autograd/FunctionsManual.cpp): a double.
constexpr double kBceGrad2Eps = 1e-12;

/// d ℓ/dx · g for the per-element loss ℓ(x, y), PyTorch's binary_cross_entropy_backward:
///     g (x − y) / max((1 − x) x, 1e-12f)
/// as one op, whose own backward is PyTorch's double backward (written with ops, so it can
/// be differentiated again), with ε = 1e-12:
///     d/dg = (x − y) / ((x + ε)(1 − x + ε))
///     d/dx = g (x² − 2xy + y) / ((x + ε)² (1 − x + ε)²)
///     d/dy = −g / max((1 − x) x, ε)
/// (Not the derivatives of the first formula: PyTorch's, which differ from them by about ε
/// relative, and at the clamp.)
template <class T>
Tensor<T> bce_input_grad(const Tensor<T>& g, const Tensor<T>& x, const Tensor<T>& y) {
    Tensor<T> out = Tensor<T>::uninitialized(x.shape());
    const T eps = static_cast<T>(kBceGradEps);
    const T *gv = g.value().data(), *xv = x.value().data(), *yv = y.value().data();
    T* o = out.node()->value.data();
    for (std::size_t i = 0; i < x.size(); ++i)
        o[i] = gv[i] * (xv[i] - yv[i]) / std::max((T(1) - xv[i]) * xv[i], eps);
    record("binary_cross_entropy_backward", {g, x, y}, out, {g, x, y}, [](BackwardContext<T>& c) {
        const Tensor<T>&gg = c.grad(), &g = c.saved(0), &x = c.saved(1), &y = c.saved(2);
        const T eps = static_cast<T>(kBceGrad2Eps);
        const Tensor<T> x_eps = x + eps, one_minus_x_eps = (T(1) - x) + eps;
        if (c.needs(0)) c.add(0, gg * (x - y) / (x_eps * one_minus_x_eps));
        if (c.needs(1))
            c.add(1,
                  gg * g * (x * x - T(2) * x * y + y) / (square(x_eps) * square(one_minus_x_eps)));
        if (c.needs(2)) c.add(2, -(gg * g) / maximum((T(1) - x) * x, Tensor<T>(eps)));
    });
    return out;
}

/// The per-element loss, PyTorch's formula in its order of operations:
///     ℓ = (y − 1) max(log(1 − x), −100) − y max(log x, −100)
/// recorded with PyTorch's backward: dx = bce_input_grad(g, x, y) and, for the target,
/// dy = −g logit(x) = −g log(x / (1 − x)), not clamped (±inf at x = 0 or 1, as PyTorch).
template <class T>
Tensor<T> bce_terms(const Tensor<T>& x, const Tensor<T>& y) {
    Tensor<T> l = Tensor<T>::uninitialized(x.shape());
    const T *xv = x.value().data(), *yv = y.value().data();
    T* o = l.node()->value.data();
    for (std::size_t i = 0; i < x.size(); ++i)
        o[i] = (yv[i] - T(1)) * std::max(std::log(T(1) - xv[i]), T(-100)) -
               yv[i] * std::max(std::log(xv[i]), T(-100));
    record("binary_cross_entropy", {x, y}, l, {x, y}, [](BackwardContext<T>& c) {
        const Tensor<T>&g = c.grad(), &x = c.saved(0), &y = c.saved(1);
        if (c.needs(0)) c.add(0, bce_input_grad(g, x, y));
        if (c.needs(1)) c.add(1, -(g * log(x / (T(1) - x))));
    });
    return l;
}

}  // namespace

template <class T>
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<T>& target,
                               const BinaryCrossEntropyOptions<T>& options) {
    const Tensor<T>& weight = options.weight;
    const Reduction reduction = options.reduction;
    const char* loss = "binary_cross_entropy";
    check_elementwise(loss, input, target, reduction);
    check_broadcasts(loss, "weight", weight, input.shape());
    for (T x : input.value())
        TG_CHECK(x >= 0 && x <= 1, ValueError, loss, ": the input holds ",
                 number(static_cast<double>(x)),
                 "; it must be probabilities in [0, 1] (for raw scores use "
                 "binary_cross_entropy_with_logits)");
    Tensor<T> l = bce_terms(input, target);
    if (weight.defined()) l = l * weight;
    return reduce(l, reduction);
}

template <class T>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target,
                                           const BinaryCrossEntropyWithLogitsOptions<T>& options) {
    const Tensor<T>& weight = options.weight;
    const Tensor<T>& pos_weight = options.pos_weight;
    const Reduction reduction = options.reduction;
    const char* loss = "binary_cross_entropy_with_logits";
    check_elementwise(loss, input, target, reduction);
    check_broadcasts(loss, "weight", weight, input.shape());
    check_broadcasts(loss, "pos_weight", pos_weight, input.shape());
    // −log σ(x) = softplus(−x), computed stably (no threshold: PyTorch's loss has none).
    const Tensor<T> minus_log_sigmoid = softplus(-input, T(1), std::numeric_limits<T>::infinity());
    Tensor<T> l = (T(1) - target) * input;
    if (pos_weight.defined())
        l = l + ((pos_weight - T(1)) * target + T(1)) * minus_log_sigmoid;
    else
        l = l + minus_log_sigmoid;
    if (weight.defined()) l = l * weight;
    return reduce(l, reduction);
}

template <class T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target,
                  const ReductionOptions& options) {
    check_elementwise("l1_loss", input, target, options.reduction);
    return reduce(abs(input - target), options.reduction);
}

namespace {

/// z = |x − y|;  ℓ = quadratic · z² / 2 for z < cutoff, linear · (z − cutoff / 2) otherwise:
/// huber_loss is (1, δ), smooth_l1_loss (1 / β, 1).
template <class T>
Tensor<T> quadratic_then_linear(const char* loss, const Tensor<T>& input, const Tensor<T>& target,
                                Reduction reduction, T cutoff, T quadratic, T linear) {
    check_elementwise(loss, input, target, reduction);
    const Tensor<T> d = input - target;
    const Tensor<T> z = abs(d);
    const Tensor<T> l = where(lt(z, Tensor<T>(cutoff)), (T(0.5) * quadratic) * square(d),
                              linear * (z - T(0.5) * cutoff));
    return reduce(l, reduction);
}

}  // namespace

template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target,
                     const HuberLossOptions& options) {
    const double delta = options.delta;
    const Reduction reduction = options.reduction;
    TG_CHECK(delta > 0, ValueError, "huber_loss: delta is ", number(delta), "; it must be > 0");
    return quadratic_then_linear("huber_loss", input, target, reduction, T(delta), T(1), T(delta));
}

template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target,
                         const SmoothL1LossOptions& options) {
    const double beta = options.beta;
    const Reduction reduction = options.reduction;
    TG_CHECK(beta >= 0, ValueError, "smooth_l1_loss: beta is ", number(beta), "; it must be >= 0");
    if (beta == 0) {
        check_elementwise("smooth_l1_loss", input, target, reduction);
        return l1_loss(input, target, ReductionOptions{reduction});
    }
    return quadratic_then_linear("smooth_l1_loss", input, target, reduction, T(beta), T(1 / beta),
                                 T(1));
}

template <class T>
Tensor<T> kl_div(const Tensor<T>& input, const Tensor<T>& target, const KlDivOptions& options) {
    const Reduction reduction = options.reduction;
    const bool log_target = options.log_target;
    check_same_shape("kl_div", input, target);
    Tensor<T> l;
    if (log_target) {
        l = exp(target) * (target - input);
    } else {
        // t log t with 0 log 0 = 0 (torch.xlogy); log of 1 where t = 0 keeps the gradient finite.
        const Tensor<T> positive = gt(target, Tensor<T>(T(0)));
        l = target * log(where(positive, target, Tensor<T>(T(1)))) - target * input;
    }
    if (reduction == Reduction::batchmean)
        return input.dim() == 0 ? sum(l) : sum(l) / static_cast<T>(input.shape()[0]);
    return reduce(l, reduction);
}

#define TG_NN_LOSSES_INSTANTIATE(T)                                                                \
    template Tensor<T> nll_loss<T>(const Tensor<T>&, const Tensor<T>&, const NllLossOptions<T>&);  \
    template Tensor<T> cross_entropy<T>(const Tensor<T>&, const Tensor<T>&,                        \
                                        const CrossEntropyOptions<T>&);                            \
    template Tensor<T> detail::class_index_tensor<T>(const std::vector<std::size_t>&);             \
    template Tensor<T> nll_loss<T, std::int64_t>(const Tensor<T>&, const Tensor<std::int64_t>&,    \
                                                 const NllLossOptions<T>&);                        \
    template Tensor<T> cross_entropy<T, std::int64_t>(                                             \
        const Tensor<T>&, const Tensor<std::int64_t>&, const CrossEntropyOptions<T>&);             \
    template Tensor<T> binary_cross_entropy<T>(const Tensor<T>&, const Tensor<T>&,                 \
                                               const BinaryCrossEntropyOptions<T>&);               \
    template Tensor<T> binary_cross_entropy_with_logits<T>(                                        \
        const Tensor<T>&, const Tensor<T>&, const BinaryCrossEntropyWithLogitsOptions<T>&);        \
    template Tensor<T> l1_loss<T>(const Tensor<T>&, const Tensor<T>&, const ReductionOptions&);    \
    template Tensor<T> huber_loss<T>(const Tensor<T>&, const Tensor<T>&, const HuberLossOptions&); \
    template Tensor<T> smooth_l1_loss<T>(const Tensor<T>&, const Tensor<T>&,                       \
                                         const SmoothL1LossOptions&);                              \
    template Tensor<T> kl_div<T>(const Tensor<T>&, const Tensor<T>&, const KlDivOptions&);
TG_NN_LOSSES_INSTANTIATE(float)
TG_NN_LOSSES_INSTANTIATE(double)

// ---- squared error ------------------------------------------------------------------
template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target) {
    check_same_shape("mse_loss", pred, target);
    return scaled_squared_error(pred, target, T(1) / T(pred.size()), "mse_loss");
}

template <class T>
Tensor<T> rmse(const Tensor<T>& pred, const Tensor<T>& target) {
    check_same_shape("rmse", pred, target);
    return tg::sqrt(mse_loss(pred, target));
}

template <class T>
Tensor<T> half_sse_per_example(const Tensor<T>& pred, const Tensor<T>& target) {
    check_same_shape("half_sse_per_example", pred, target);
    TG_CHECK(pred.dim() > 0, ShapeError,
             "half_sse_per_example: the prediction is 0-d; it needs examples in rows (shape "
             "(N, ...))");
    const std::size_t n = pred.shape()[0];
    return scaled_squared_error(pred, target, T(1) / T(2 * n), "half_sse_per_example");
}

#define TG_NN_LOSS_INSTANTIATE(T)                                       \
    template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> rmse<T>(const Tensor<T>&, const Tensor<T>&);     \
    template Tensor<T> half_sse_per_example<T>(const Tensor<T>&, const Tensor<T>&);
TG_NN_LOSS_INSTANTIATE(float)
TG_NN_LOSS_INSTANTIATE(double)

}  // namespace tg::nn
