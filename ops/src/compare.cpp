#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/compare.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "elementwise.hpp"

namespace tg {
namespace detail {

/// maximum(a, b) = a < b ? b : a, minimum(a, b) = a > b ? b : a, and NaN when either is
/// NaN; PyTorch's gradients (derivatives.yaml: where(a == b, g / 2, g) masked where the
/// other argument wins):
///     maximum: da = g ⊙ s(a, b),  db = g ⊙ s(b, a),  s(u, v) = u < v ? 0 : u == v ? ½ : 1
///     minimum: the same with s(u, v) = u > v ? 0 : u == v ? ½ : 1
/// s is a step function of (a, b); at a NaN every comparison is false, so both get g.
template <class T>
struct Extremum {
    const char* name;  // "maximum" or "minimum"
    bool is_max;
    /// Whether v wins over u (is strictly larger for maximum, smaller for minimum).
    bool beats(T u, T v) const { return is_max ? u < v : u > v; }
    T value(T a, T b) const { return beats(a, b) || b != b ? b : a; }
    /// u's share of the gradient against v.
    T share(T u, T v) const { return beats(u, v) ? T(0) : u == v ? T(0.5) : T(1); }
    template <class V>
    auto grad_a(const V& g, const V& a, const V& b) const {
        const Extremum e = *this;
        return g * step_function(a, b, [e](T u, T v) { return e.share(u, v); });
    }
    template <class V>
    auto grad_b(const V& g, const V& a, const V& b) const {
        const Extremum e = *this;
        return g * step_function(a, b, [e](T u, T v) { return e.share(v, u); });
    }
};

/// clamp(x, lo, hi) = min(max(x, lo), hi) (NaN stays NaN);   d clamp = [lo <= x <= hi] dx
template <class T>
struct Clamp {
    static constexpr const char* name = "clamp";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T lo, hi;
    T value(T x) const { return x < lo ? lo : x > hi ? hi : x; }
    template <class V>
    auto grad(const V& g, const V& x) const {
        const T l = lo, h = hi;
        return g * step_function(x, [l, h](T v) { return v >= l && v <= h ? T(1) : T(0); });
    }
};

}  // namespace detail

template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::binary(a, b, detail::Extremum<T>{"maximum", true});
}

template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::binary(a, b, detail::Extremum<T>{"minimum", false});
}

template <class T>
Tensor<T> clamp(const Tensor<T>& x, detail::scalar_t<T> lo, detail::scalar_t<T> hi) {
    TG_CHECK(lo <= hi, ValueError, "clamp: lower bound ", std::to_string(lo),
             " is above upper bound ", std::to_string(hi));
    return detail::unary(x, detail::Clamp<T>{lo, hi});
}

#define TG_INSTANTIATE(T)                                           \
    template Tensor<T> maximum(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> minimum(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> clamp(const Tensor<T>&, detail::scalar_t<T>, detail::scalar_t<T>);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
