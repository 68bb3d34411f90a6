#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/trig.hpp>
#include <tapegrad/record.hpp>

#include <cmath>

#include "elementwise.hpp"

namespace tg {
namespace detail {

/// d sin x = cos x dx
template <class T>
struct Sin {
    static constexpr const char* name = "sin";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::sin;
        return sin(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::cos;
        return g * cos(x);
    }
};

/// d cos x = −sin x dx
template <class T>
struct Cos {
    static constexpr const char* name = "cos";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::cos;
        return cos(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::sin;
        return -(g * sin(x));
    }
};

/// d tan x = (1 + tan² x) dx
template <class T>
struct Tan {
    static constexpr const char* name = "tan";
    static constexpr Saves saves = Saves::output;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::tan;
        return tan(x);
    }
    template <class V>
    auto grad(const V& g, const V& y) const {
        return g * (T(1) + y * y);
    }
};

/// d atan x = dx / (1 + x²)
template <class T>
struct Atan {
    static constexpr const char* name = "atan";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::atan;
        return atan(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        return g / (T(1) + x * x);
    }
};

/// d sinh x = cosh x dx
template <class T>
struct Sinh {
    static constexpr const char* name = "sinh";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::sinh;
        return sinh(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::cosh;
        return g * cosh(x);
    }
};

/// d cosh x = sinh x dx
template <class T>
struct Cosh {
    static constexpr const char* name = "cosh";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::cosh;
        return cosh(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::sinh;
        return g * sinh(x);
    }
};

/// d asinh x = dx / √(1 + x²)
template <class T>
struct Asinh {
    static constexpr const char* name = "asinh";
    static constexpr Saves saves = Saves::input;
    static constexpr bool vectorized = true;
    template <class V>
    auto value(const V& x) const {
        using std::asinh;
        return asinh(x);
    }
    template <class V>
    auto grad(const V& g, const V& x) const {
        using std::sqrt;
        return g / sqrt(T(1) + x * x);
    }
};

/// atan2(y, x), the angle of the point (x, y), broadcasting;
///     d atan2 = (x dy − y dx) / (x² + y²)
template <class T>
struct Atan2 {
    static constexpr const char* name = "atan2";
    T value(T y, T x) const { return std::atan2(y, x); }
    template <class V>
    auto grad_a(const V& g, const V& y, const V& x) const {
        return g * (x / (x * x + y * y));
    }
    template <class V>
    auto grad_b(const V& g, const V& y, const V& x) const {
        return -(g * (y / (x * x + y * y)));
    }
};

}  // namespace detail

template <class T>
Tensor<T> sin(const Tensor<T>& x) {
    return detail::unary(x, detail::Sin<T>{});
}

template <class T>
Tensor<T> cos(const Tensor<T>& x) {
    return detail::unary(x, detail::Cos<T>{});
}

template <class T>
Tensor<T> tan(const Tensor<T>& x) {
    return detail::unary(x, detail::Tan<T>{});
}

template <class T>
Tensor<T> atan(const Tensor<T>& x) {
    return detail::unary(x, detail::Atan<T>{});
}

template <class T>
Tensor<T> sinh(const Tensor<T>& x) {
    return detail::unary(x, detail::Sinh<T>{});
}

template <class T>
Tensor<T> cosh(const Tensor<T>& x) {
    return detail::unary(x, detail::Cosh<T>{});
}

template <class T>
Tensor<T> asinh(const Tensor<T>& x) {
    return detail::unary(x, detail::Asinh<T>{});
}

template <class T>
Tensor<T> atan2(const Tensor<T>& y, const Tensor<T>& x) {
    return detail::binary(y, x, detail::Atan2<T>{});
}

#define TG_INSTANTIATE(T)                       \
    template Tensor<T> sin(const Tensor<T>&);   \
    template Tensor<T> cos(const Tensor<T>&);   \
    template Tensor<T> tan(const Tensor<T>&);   \
    template Tensor<T> atan(const Tensor<T>&);  \
    template Tensor<T> sinh(const Tensor<T>&);  \
    template Tensor<T> cosh(const Tensor<T>&);  \
    template Tensor<T> asinh(const Tensor<T>&); \
    template Tensor<T> atan2(const Tensor<T>&, const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
