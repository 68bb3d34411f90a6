#include <tapegrad/check.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/optim/adam.hpp>

#include <algorithm>
#include <cmath>
#include <xsimd/xsimd.hpp>

namespace tg::optim {
namespace {

/// The options, checked before the base checks the groups.
const AdamOptions& checked(const AdamOptions& options) {
    TG_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
             ValueError, "Adam: beta1 (", std::to_string(options.beta1), ") and beta2 (",
             std::to_string(options.beta2), ") must lie in [0, 1)");
    detail::check_non_negative("Adam",
                               {{"eps", options.eps}, {"weight_decay", options.weight_decay}});
    return options;
}

AdamOptions adam_options(const AdamWOptions& o) {
    return {o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.maximize};
}

/// The numbers of one parameter's update (Adam<T>::step computes them).
template <class T>
struct Coefficients {
    bool shrinks;  ///< AdamW with weight decay: p ← shrink · p first
    T shrink, sign, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, correction2_sqrt, eps,
        step_size;
};

/// The moments of one element, or of a SIMD batch of them (V = T or xsimd::batch<T>):
///     p ← shrink · p (AdamW),   d = sign · g + decay · p,
///     m ← β₁ m + (1 − β₁) d,    v ← β₂ v + (1 − β₂) d².
template <class V, class T>
void update_moments(V& p, const V& g, V& m, V& v, const Coefficients<T>& k) {
    if (k.shrinks) p = p * V(k.shrink);
    const V d = V(k.sign) * g + V(k.decay) * p;
    m = V(k.beta1) * m + V(k.one_minus_beta1) * d;
    v = V(k.beta2) * v + V(k.one_minus_beta2) * d * d;
}

/// p − step_size · m / (√v̂ / √(1 − β₂ᵗ) + ε), v̂ = v (or its running maximum with amsgrad).
template <class V, class T>
V updated_parameter(const V& p, const V& m, const V& v_hat, const Coefficients<T>& k) {
    using std::sqrt;  // xsimd's for a batch, by argument-dependent lookup
    return p - V(k.step_size) * m / (sqrt(v_hat) / V(k.correction2_sqrt) + V(k.eps));
}

/// The update of elements [begin, end): SIMD batches, then the rest (fewer than a batch)
/// in the plain loop, which does not vectorize (√ may set errno). A rest may differ from a
/// batch in the last bit (the compiler fuses multiplies and adds into FMAs differently in
/// scalar and vector code), so step() starts every range at a multiple of the batch size:
/// the rest is then the last elements of the tensor, on any number of threads. amsgrad's
/// v̂ = max(v̂, v) runs the plain loop over the whole range (std::max's rule for NaN).
template <class T>
void update_range(T* p, const T* g, T* m, T* v, T* v_max, std::size_t begin, std::size_t end,
                  const Coefficients<T>& k) {
    std::size_t i = begin;
    if (!v_max) {
        using B = xsimd::batch<T>;
        for (; i + B::size <= end; i += B::size) {
            B pb = B::load_unaligned(p + i), mb = B::load_unaligned(m + i),
              vb = B::load_unaligned(v + i);
            update_moments(pb, B::load_unaligned(g + i), mb, vb, k);
            updated_parameter(pb, mb, vb, k).store_unaligned(p + i);
            mb.store_unaligned(m + i);
            vb.store_unaligned(v + i);
        }
    }
    for (; i < end; ++i) {
        update_moments(p[i], g[i], m[i], v[i], k);
        if (v_max) v_max[i] = std::max(v_max[i], v[i]);
        p[i] = updated_parameter(p[i], m[i], v_max ? v_max[i] : v[i], k);
    }
}

}  // namespace

template <class T>
Adam<T>::Adam(std::vector<Tensor<T>> parameters, T learning_rate, AdamOptions options)
    : Adam(std::vector<ParamGroup<T>>{{std::move(parameters)}}, learning_rate, options, false) {}

template <class T>
Adam<T>::Adam(std::vector<ParamGroup<T>> groups, T learning_rate, AdamOptions options)
    : Adam(std::move(groups), learning_rate, options, false) {}

template <class T>
Adam<T>::Adam(std::vector<ParamGroup<T>> groups, T learning_rate, AdamOptions options,
              bool decoupled)
    : Optimizer<T>(std::move(groups), learning_rate, checked(options).weight_decay),
      options_(options),
      decoupled_(decoupled) {}

template <class T>
std::vector<std::string> Adam<T>::buffer_names() const {
    if (options_.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    return {"exp_avg", "exp_avg_sq"};
}

template <class T>
std::vector<std::pair<std::string, double>> Adam<T>::hyper_parameters() const {
    return {{"beta1", options_.beta1},
            {"beta2", options_.beta2},
            {"eps", options_.eps},
            {"amsgrad", options_.amsgrad ? 1.0 : 0.0},
            {"decoupled_weight_decay", decoupled_ ? 1.0 : 0.0},
            {"maximize", options_.maximize ? 1.0 : 0.0}};
}

template <class T>
void Adam<T>::check_momentum(double beta1) const {
    if (!(beta1 >= 0 && beta1 < 1))
        throw ValueError(this->name() + ": beta1 (" + std::to_string(beta1) +
                         ") must lie in [0, 1)");
}

template <class T>
void Adam<T>::step() {
    const T beta2 = static_cast<T>(options_.beta2);
    // 1 − β in double, then rounded: in float, 1 − 0.999f is off by 1.3e-5 relative.
    const T one_minus_beta2 = static_cast<T>(1.0 - options_.beta2);
    const T eps = static_cast<T>(options_.eps);
    const T sign = options_.maximize ? T(-1) : T(1);
    for (const GroupSettings& group : this->groups_) {
        // β₁ of the group when a schedule cycles it (as PyTorch's group["betas"][0]).
        const double group_beta1 = group.momentum.value_or(options_.beta1);
        const T beta1 = static_cast<T>(group_beta1);
        const T one_minus_beta1 = static_cast<T>(1.0 - group_beta1);
        // Adam adds λ p to the gradient; AdamW multiplies p by 1 − lr·λ (in double, as
        // PyTorch's Python float) and adds nothing.
        const T decay = decoupled_ ? T(0) : static_cast<T>(group.weight_decay);
        const T shrink = static_cast<T>(1.0 - group.learning_rate * group.weight_decay);
        for (std::size_t k = group.first; k < group.first + group.count; ++k) {
            Tensor<T>& param = this->parameters_[k];
            if (!param.has_grad()) continue;
            const Tensor<T> grad = param.grad();
            auto& s = this->advance(k);
            // Bias corrections 1 − βᵗ in double (they must not round to 0 in float), and
            // PyTorch's order of operations: p −= (lr / (1 − β₁ᵗ)) m / (√v / √(1 − β₂ᵗ) + ε).
            const double t = static_cast<double>(s.step);
            const double correction1 = 1.0 - std::pow(group_beta1, t);
            const T step_size = static_cast<T>(group.learning_rate / correction1);
            const T correction2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(options_.beta2, t)));
            const std::size_t n = param.size();
            const T* g = grad.value().data();
            T* p = param.mutable_value().data();
            T* m = s.buffers[0].data();
            T* v = s.buffers[1].data();
            T* v_max = options_.amsgrad ? s.buffers[2].data() : nullptr;
            const Coefficients<T> coefficients{decoupled_ && group.weight_decay != 0,
                                               shrink,
                                               sign,
                                               decay,
                                               beta1,
                                               one_minus_beta1,
                                               beta2,
                                               one_minus_beta2,
                                               correction2_sqrt,
                                               eps,
                                               step_size};
            // One pass, AdamW's p ← (1 − lr·λ) p included, over p, g, m and v (4 arrays of
            // the parameter's size read, 3 written); each element on its own, so the
            // intra-op threads share it, in ranges of whole SIMD batches (update_range says
            // why): batch u is [u·B, (u + 1)·B), the last one cut at n.
            constexpr std::size_t B = xsimd::batch<T>::size;
            const auto update = [=](std::size_t first, std::size_t last) {
                update_range(p, g, m, v, v_max, first * B, std::min(n, last * B), coefficients);
            };
            tg::detail::parallel_for((n + B - 1) / B, tg::detail::kMinElementsPerThread / B,
                                     update);
        }
    }
}

template <class T>
AdamW<T>::AdamW(std::vector<Tensor<T>> parameters, T learning_rate, AdamWOptions options)
    : AdamW(std::vector<ParamGroup<T>>{{std::move(parameters)}}, learning_rate, options) {}

template <class T>
AdamW<T>::AdamW(std::vector<ParamGroup<T>> groups, T learning_rate, AdamWOptions options)
    : Adam<T>(std::move(groups), learning_rate, adam_options(options), true) {}

template class Adam<float>;
template class Adam<double>;
template class AdamW<float>;
template class AdamW<double>;

}  // namespace tg::optim
