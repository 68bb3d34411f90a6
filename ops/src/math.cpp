#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/record.hpp>

#include <cmath>

#include "elementwise.hpp"

namespace tg {
namespace detail {

/// d xᵖ = p xᵖ⁻¹ dx; for p = 0 that is 0 everywhere (x⁻¹ would give 0·∞ at 0).
template <class T>
struct Pow {
    static constexpr const char* name = "pow";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    T p;
    template <class V>
    auto value(const V& x) const {
        using std::pow;
        return pow(x, p);
    }
    template <class V>
    V grad(const V& g, const V& x) const {
        using std::pow;
        if (p == T(0)) return g * T(0);
        return g * (pow(x, p - T(1)) * p);
    }
};

/// aᵇ, broadcasting;   d aᵇ = b aᵇ⁻¹ da + aᵇ ln a db
template <class T>
struct PowTensor {
    static constexpr const char* name = "pow";
    T value(T a, T b) const { return std::pow(a, b); }
    template <class V>
    auto grad_a(const V& g, const V& a, const V& b) const {
        using std::pow;
        return g * (b * pow(a, b - T(1)));
    }
    template <class V>
    auto grad_b(const V& g, const V& a, const V& b) const {
        using std::log, std::pow;
        return g * (pow(a, b) * log(a));
    }
};

/// y = ln(eᵃ + eᵇ), computed as max(a, b) + ln(1 + e^−|a − b|): no overflow, and the
/// smaller term kept;   dy = σ(a − b) da + σ(b − a) db  (= e^(a − y) da + e^(b − y) db)
template <class T>
struct LogAddExp {
    static constexpr const char* name = "logaddexp";
    T value(T a, T b) const {
        if (a == b) return a + std::log(T(2));  // ±∞ too, where a − b would be nan
        return std::max(a, b) + std::log1p(std::exp(-std::abs(a - b)));
    }
    template <class V>
    auto grad_a(const V& g, const V& a, const V& b) const {
        using std::exp;
        return g / (T(1) + exp(b - a));
    }
    template <class V>
    auto grad_b(const V& g, const V& a, const V& b) const {
        using std::exp;
        return g / (T(1) + exp(a - b));
    }
};

/// d x² = 2x dx
template <class T>
struct Square {
    static constexpr const char* name = "square";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T value(T x) const { return x * x; }
    template <class V>
    auto grad(const V& g, const V& x) const {
        return g * (x * T(2));
    }
};

/// d √x = dx / (2√x)
template <class T>
struct Sqrt {
    static constexpr const char* name = "sqrt";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::sqrt;
        return sqrt(x);
    }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return g / (y * T(2));
    }
};

/// d eˣ = eˣ dx
template <class T>
struct Exp {
    static constexpr const char* name = "exp";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::exp;
        return exp(x);
    }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return g * y;
    }
};

/// d ln x = dx / x
template <class T>
struct Log {
    static constexpr const char* name = "log";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::log;
        return log(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        return g / x;
    }
};

/// d |x| = sign(x) dx (0 at x = 0)
template <class T>
struct Abs {
    static constexpr const char* name = "abs";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T value(T x) const { return std::abs(x); }
    template <class V>
    auto grad(const V& g, const V& x) const {
        return g * step_function(x, [](T v) { return v > T(0) ? T(1) : v < T(0) ? T(-1) : T(0); });
    }
};

/// d (eˣ − 1) = eˣ dx = (y + 1) dx; accurate for small x, where eˣ − 1 would cancel.
template <class T>
struct Expm1 {
    static constexpr const char* name = "expm1";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::expm1;
        return expm1(x);
    }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return g * (y + T(1));
    }
};

/// d ln(1 + x) = dx / (1 + x); accurate for small x, where 1 + x would round.
template <class T>
struct Log1p {
    static constexpr const char* name = "log1p";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::log1p;
        return log1p(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        return g / (T(1) + x);
    }
};

/// erf x = 2/√π ∫₀ˣ e^−t² dt;   d erf = 2/√π e^−x² dx
template <class T>
struct Erf {
    static constexpr const char* name = "erf";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    static constexpr T two_over_sqrt_pi = T(1.1283791670955125739);  // 2/√π
    template <class V>
    auto value(const V& x) const {
        using std::erf;
        return erf(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::exp;
        return g * (exp(-(x * x)) * two_over_sqrt_pi);
    }
};

/// erfc x = 1 − erf x, without the cancellation of 1 − erf x for large x;
/// d erfc = −2/√π e^−x² dx
template <class T>
struct Erfc {
    static constexpr const char* name = "erfc";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::erfc;
        return erfc(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::exp;
        return g * (exp(-(x * x)) * -Erf<T>::two_over_sqrt_pi);
    }
};

/// y = 1/√x;   dy = −½ x^−3/2 dx = −½ y³ dx
template <class T>
struct Rsqrt {
    static constexpr const char* name = "rsqrt";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::sqrt;
        return T(1) / sqrt(x);
    }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return g * (y * y * y * T(-0.5));
    }
};

/// y = 1/x;   dy = −dx / x² = −y² dx
template <class T>
struct Reciprocal {
    static constexpr const char* name = "reciprocal";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = false;
    T value(T x) const { return T(1) / x; }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return -(g * (y * y));
    }
};

/// sign x = 1, −1 or x itself at ±0 and NaN (numpy's; PyTorch 1.13 gives 0 for NaN, see
/// docs/design.md, "Conventions"). A step function: its
/// derivative is 0 wherever it exists, and taken as 0 at 0 too (as torch does), so the
/// gradient is an unrecorded zero tensor.
template <class T>
struct Sign {
    static constexpr const char* name = "sign";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = false;
    T value(T x) const { return x > T(0) ? T(1) : x < T(0) ? T(-1) : x; }
    template <class V>
    auto grad(const V&, const V& x) const {
        return step_function(x, [](T) { return T(0); });
    }
};

}  // namespace detail

template <class T>
Tensor<T> pow(const Tensor<T>& x, detail::scalar_t<T> p) {
    return detail::unary(x, detail::Pow<T>{p});
}

template <class T>
Tensor<T> square(const Tensor<T>& x) {
    return detail::unary(x, detail::Square<T>{});
}

template <class T>
Tensor<T> sqrt(const Tensor<T>& x) {
    return detail::unary(x, detail::Sqrt<T>{});
}

template <class T>
Tensor<T> exp(const Tensor<T>& x) {
    return detail::unary(x, detail::Exp<T>{});
}

template <class T>
Tensor<T> log(const Tensor<T>& x) {
    return detail::unary(x, detail::Log<T>{});
}

template <class T>
Tensor<T> abs(const Tensor<T>& x) {
    return detail::unary(x, detail::Abs<T>{});
}

template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::binary(a, b, detail::PowTensor<T>{});
}

template <class T>
Tensor<T> logaddexp(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::binary(a, b, detail::LogAddExp<T>{});
}

template <class T>
Tensor<T> expm1(const Tensor<T>& x) {
    return detail::unary(x, detail::Expm1<T>{});
}

template <class T>
Tensor<T> log1p(const Tensor<T>& x) {
    return detail::unary(x, detail::Log1p<T>{});
}

template <class T>
Tensor<T> erf(const Tensor<T>& x) {
    return detail::unary(x, detail::Erf<T>{});
}

template <class T>
Tensor<T> erfc(const Tensor<T>& x) {
    return detail::unary(x, detail::Erfc<T>{});
}

template <class T>
Tensor<T> rsqrt(const Tensor<T>& x) {
    return detail::unary(x, detail::Rsqrt<T>{});
}

template <class T>
Tensor<T> reciprocal(const Tensor<T>& x) {
    return detail::unary(x, detail::Reciprocal<T>{});
}

template <class T>
Tensor<T> sign(const Tensor<T>& x) {
    return detail::unary(x, detail::Sign<T>{});
}

#define TG_INSTANTIATE(T)                                             \
    template Tensor<T> pow(const Tensor<T>&, detail::scalar_t<T>);    \
    template Tensor<T> square(const Tensor<T>&);                      \
    template Tensor<T> sqrt(const Tensor<T>&);                        \
    template Tensor<T> exp(const Tensor<T>&);                         \
    template Tensor<T> log(const Tensor<T>&);                         \
    template Tensor<T> abs(const Tensor<T>&);                         \
    template Tensor<T> pow(const Tensor<T>&, const Tensor<T>&);       \
    template Tensor<T> logaddexp(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> expm1(const Tensor<T>&);                       \
    template Tensor<T> log1p(const Tensor<T>&);                       \
    template Tensor<T> erf(const Tensor<T>&);                         \
    template Tensor<T> erfc(const Tensor<T>&);                        \
    template Tensor<T> rsqrt(const Tensor<T>&);                       \
    template Tensor<T> reciprocal(const Tensor<T>&);                  \
    template Tensor<T> sign(const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
