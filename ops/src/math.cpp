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

#define TG_INSTANTIATE(T)                                          \
    template Tensor<T> pow(const Tensor<T>&, detail::scalar_t<T>); \
    template Tensor<T> square(const Tensor<T>&);                   \
    template Tensor<T> sqrt(const Tensor<T>&);                     \
    template Tensor<T> exp(const Tensor<T>&);                      \
    template Tensor<T> log(const Tensor<T>&);                      \
    template Tensor<T> abs(const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
