#include <tapegrad/check.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/optim/clip_grad.hpp>

#include <algorithm>
#include <cmath>

namespace tg::nn {

template <class T>
double clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm,
                       double norm_type) {
    TG_CHECK(max_norm >= 0 && norm_type > 0, ValueError, "clip_grad_norm_: max_norm (",
             std::to_string(max_norm), ") must be >= 0 and norm_type (", std::to_string(norm_type),
             ") > 0");
    const bool infinity = std::isinf(norm_type);
    std::vector<Tensor<T>> grads;
    for (const Tensor<T>& p : parameters)
        if (p.has_grad()) grads.push_back(p.grad());
    if (grads.empty()) return 0;
    // N = (Σ |g|ᵖ)^(1/p), summed over every element of every gradient, in double; max |g|
    // for p = ∞. (PyTorch takes the p-norm of the per-gradient p-norms: the same number.)
    // One sum in element order, so on one thread; the scaling below is shared between the
    // intra-op threads.
    double total = 0;
    for (const Tensor<T>& g : grads) {
        const T* d = g.value().data();
        for (std::size_t i = 0, n = g.size(); i < n; ++i) {
            const double a = std::abs(static_cast<double>(d[i]));
            if (infinity)
                total = std::isnan(a) ? a : std::max(total, a);
            else
                total += norm_type == 2 ? a * a : std::pow(a, norm_type);
        }
    }
    if (!infinity) total = norm_type == 2 ? std::sqrt(total) : std::pow(total, 1 / norm_type);
    const double scale = max_norm / (total + 1e-6);
    if (scale < 1 || std::isnan(scale)) {
        const T factor = static_cast<T>(scale);
        for (Tensor<T>& g : grads) {
            T* d = g.mutable_value().data();
            tg::detail::parallel_for(g.size(), tg::detail::kMinElementsPerThread,
                                     [=](std::size_t begin, std::size_t end) {
                                         for (std::size_t i = begin; i < end; ++i) d[i] *= factor;
                                     });
        }
    }
    return total;
}

template <class T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value) {
    detail::check_non_negative("clip_grad_value_", {{"clip_value", clip_value}});
    const T high = static_cast<T>(clip_value);
    for (const Tensor<T>& p : parameters) {
        if (!p.has_grad()) continue;
        Tensor<T> g = p.grad();
        T* d = g.mutable_value().data();
        for (std::size_t i = 0, n = g.size(); i < n; ++i) d[i] = std::clamp(d[i], -high, high);
    }
}

#define TG_NN_CLIP_GRAD_INSTANTIATE(T)                                                 \
    template double clip_grad_norm_<T>(const std::vector<Tensor<T>>&, double, double); \
    template void clip_grad_value_<T>(const std::vector<Tensor<T>>&, double);
TG_NN_CLIP_GRAD_INSTANTIATE(float)
TG_NN_CLIP_GRAD_INSTANTIATE(double)

}  // namespace tg::nn
