#include <tapegrad/check.hpp>
#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/record.hpp>

#include <cmath>
#include <string>

#include "elementwise.hpp"

namespace tg {
namespace detail {

/// σ(x) = 1 / (1 + e^−x);   dσ = σ (1 − σ) dx
template <class T>
struct Sigmoid {
    static constexpr const char* name = "sigmoid";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::exp;
        return T(1) / (T(1) + exp(-x));
    }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return g * (y * (T(1) - y));
    }
};

/// d tanh x = (1 − tanh² x) dx
template <class T>
struct Tanh {
    static constexpr const char* name = "tanh";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::tanh;
        return tanh(x);
    }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return g * (T(1) - y * y);
    }
};

/// relu(x) = max(x, 0);   d relu = [not x <= 0] dx (0 at the kink). As PyTorch's: a NaN
/// stays NaN (x < 0 is false for it) and its gradient passes through (x <= 0 is false).
template <class T>
struct Relu {
    static constexpr const char* name = "relu";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T value(T x) const { return x < T(0) ? T(0) : x; }
    template <class V>
    auto grad(const V& g, const V& x) const {
        return g * step_function(x, [](T v) { return v <= T(0) ? T(0) : T(1); });
    }
};

/// leaky_relu(x) = x > 0 ? x : slope·x;   d = (x > 0 ? 1 : slope) dx (NaN and the slope at
/// a NaN, as PyTorch)
template <class T>
struct LeakyRelu {
    static constexpr const char* name = "leaky_relu";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T slope;
    T value(T x) const { return x > T(0) ? x : slope * x; }
    template <class V>
    auto grad(const V& g, const V& x) const {
        const T s = slope;
        return g * step_function(x, [s](T v) { return v > T(0) ? T(1) : s; });
    }
};

/// PyTorch's softplus: x where βx > threshold, else log(1 + e^(βx)) / β, computed as
/// (max(βx, 0) + log1p(e^−|βx|)) / β (no overflow for large |βx|);
/// d softplus = dx where βx > threshold, else σ(βx) dx = dx / (1 + e^(−βx))
template <class T>
struct Softplus {
    static constexpr const char* name = "softplus";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T beta, threshold;
    T value(T x) const {
        const T z = beta * x;
        if (z > threshold) return x;
        return (std::max(z, T(0)) + std::log1p(std::exp(-std::abs(z)))) / beta;
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::exp;
        const T b = beta, t = threshold;
        const auto above = step_function(x, [b, t](T v) { return b * v > t ? T(1) : T(0); });
        return g * (above + (T(1) - above) / (T(1) + exp(-(b * x))));
    }
};

/// gelu(x) = x Φ(x), Φ the standard normal CDF (the exact form, torch's approximate='none'),
/// computed as ½ x erfc(−x/√2): ½ x (1 + erf(x/√2)) would cancel for negative x, where
/// erf is near −1;   d gelu = (Φ(x) + x φ(x)) dx, φ(x) = e^(−x²/2) / √(2π)
template <class T>
struct Gelu {
    static constexpr const char* name = "gelu";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    static constexpr bool vectorized_grad = true;                      // erfc and exp per element
    static constexpr T minus_inv_sqrt_2 = T(-0.70710678118654752440);  // −1/√2
    static constexpr T inv_sqrt_2pi = T(0.39894228040143267794);       // 1/√(2π)
    template <class V>
    auto value(const V& x) const {
        using std::erfc;
        return x * erfc(x * minus_inv_sqrt_2) * T(0.5);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::erfc, std::exp;
        return g * (erfc(x * minus_inv_sqrt_2) * T(0.5) + x * exp(x * x * T(-0.5)) * inv_sqrt_2pi);
    }
};

/// gelu(x, "tanh") = ½ x (1 + tanh u), u = β (x + κ x³), β = √(2/π), κ = 0.044715 (the
/// approximation GPT-2 uses), one entry where the formula written with ops records eight;
///     d = ½ (1 + tanh u) + ½ x (1 − tanh² u) β (1 + 3κ x²)
///       = ½ (1 + tanh u) (1 + x (1 − tanh u) β (1 + 3κ x²))
/// PyTorch's kernel (GeluKernel.cpp) has the first form; the second evaluates tanh u twice,
/// not three times. Each is one expression (V may be an xtensor view: both directions are
/// vectorized; fused forward and backward 0.31 ms against 0.51 ms for the eight ops on
/// (64, 3072) floats).
template <class T>
struct GeluTanh {
    static constexpr const char* name = "gelu_tanh";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    static constexpr bool vectorized_grad = true;
    static constexpr T beta = T(0.79788456080286535588);  // √(2/π)
    static constexpr T kappa = T(0.044715);
    template <class V>
    auto value(const V& x) const {
        using std::tanh;
        return x * T(0.5) * (T(1) + tanh((x + x * x * x * kappa) * beta));
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::tanh;
        return g * ((T(1) + tanh((x + x * x * x * kappa) * beta)) * T(0.5) *
                    (T(1) + x * (T(1) - tanh((x + x * x * x * kappa) * beta)) *
                                ((T(1) + x * x * (T(3) * kappa)) * beta)));
    }
};

/// silu(x) = x σ(x) = x / (1 + e^−x);   d silu = σ(x) (1 + x (1 − σ(x))) dx
template <class T>
struct Silu {
    static constexpr const char* name = "silu";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::exp;
        return x / (T(1) + exp(-x));
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::exp;
        const V s = T(1) / (T(1) + exp(-x));
        return g * (s * (T(1) + x * (T(1) - s)));
    }
};

/// elu(x) = x > 0 ? x : α (eˣ − 1);   d elu = (x > 0 ? 1 : α eˣ) dx (α eˣ at 0, as torch;
/// NaN at a NaN, as torch's vectorized kernel: docs/design.md, "Conventions").
/// The derivative is written as [x > 0] + α n e^(x m) with n = [not x > 0] and m = [x < 0]:
/// eˣ is never formed for a large positive x (where it would overflow to inf and
/// inf · 0 = nan), and its own derivative α n m e^(x m) is 0 at x = 0, as torch's
/// elu_double_backward (which masks with x < 0).
template <class T>
struct Elu {
    static constexpr const char* name = "elu";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T alpha;
    T value(T x) const { return x > T(0) ? x : alpha * std::expm1(x); }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::exp;
        const auto n = step_function(x, [](T v) { return v > T(0) ? T(0) : T(1); });
        const auto m = step_function(x, [](T v) { return v < T(0) ? T(1) : T(0); });
        return g * ((T(1) - n) + n * exp(x * m) * alpha);
    }
};

/// softsign(x) = x / (1 + |x|);   d softsign = dx / (1 + |x|)²
template <class T>
struct Softsign {
    static constexpr const char* name = "softsign";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T value(T x) const { return x / (T(1) + std::abs(x)); }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::abs;
        const V d = T(1) + abs(x);
        return g / (d * d);
    }
};

}  // namespace detail

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
    return detail::unary(x, detail::Sigmoid<T>{});
}

template <class T>
Tensor<T> tanh(const Tensor<T>& x) {
    return detail::unary(x, detail::Tanh<T>{});
}

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
    return detail::unary(x, detail::Relu<T>{});
}

template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, detail::scalar_t<T> slope) {
    return detail::unary(x, detail::LeakyRelu<T>{slope});
}

template <class T>
Tensor<T> softplus(const Tensor<T>& x, detail::scalar_t<T> beta, detail::scalar_t<T> threshold) {
    return detail::unary(x, detail::Softplus<T>{beta, threshold});
}

template <class T>
Tensor<T> gelu(const Tensor<T>& x) {
    return detail::unary(x, detail::Gelu<T>{});
}

template <class T>
Tensor<T> gelu(const Tensor<T>& x, const std::string& approximate) {
    if (approximate == "tanh") return detail::unary(x, detail::GeluTanh<T>{});
    TG_CHECK(approximate == "none", ValueError,
             "gelu: approximate must be \"none\" or \"tanh\" (as in PyTorch), got \"", approximate,
             "\"");
    return gelu(x);
}

template <class T>
Tensor<T> silu(const Tensor<T>& x) {
    return detail::unary(x, detail::Silu<T>{});
}

template <class T>
Tensor<T> elu(const Tensor<T>& x, detail::scalar_t<T> alpha) {
    return detail::unary(x, detail::Elu<T>{alpha});
}

template <class T>
Tensor<T> softsign(const Tensor<T>& x) {
    return detail::unary(x, detail::Softsign<T>{});
}

#define TG_INSTANTIATE(T)                                                 \
    template Tensor<T> sigmoid(const Tensor<T>&);                         \
    template Tensor<T> tanh(const Tensor<T>&);                            \
    template Tensor<T> relu(const Tensor<T>&);                            \
    template Tensor<T> leaky_relu(const Tensor<T>&, detail::scalar_t<T>); \
    template Tensor<T> softplus(const Tensor<T>&, T, T);                  \
    template Tensor<T> gelu(const Tensor<T>&);                            \
    template Tensor<T> gelu(const Tensor<T>&, const std::string&);        \
    template Tensor<T> silu(const Tensor<T>&);                            \
    template Tensor<T> elu(const Tensor<T>&, detail::scalar_t<T>);        \
    template Tensor<T> softsign(const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
