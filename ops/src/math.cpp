#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/record.hpp>

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "kernels.hpp"

namespace tg {

template <class T>
Tensor<T> pow(const Tensor<T>& x, detail::scalar_t<T> p) {
    Tensor<T> y(Array<T>(xt::pow(x.value(), p)));
    record("pow", {x}, y, {x}, [p](BackwardContext<T>& c) {
        // d x^p = p x^(p-1) dx; for p = 0 that is 0 everywhere (x^(−1) would give 0·∞ at 0).
        if (p == T(0)) {
            c.add(0, c.grad() * T(0));
            return;
        }
        const Tensor<T>& x = c.saved(0);
        if (c.create_graph())
            c.add(0, c.grad() * (pow(x, p - T(1)) * p));
        else
            c.add(0,
                  detail::map_grad(c, x, [p](T g, T v) { return g * p * std::pow(v, p - T(1)); }));
    });
    return y;
}

template <class T>
Tensor<T> square(const Tensor<T>& x) {
    Tensor<T> y = detail::map(x, [](T v) { return v * v; });
    record("square", {x}, y, {x}, [](BackwardContext<T>& c) {
        // d x² = 2x dx
        const Tensor<T>& x = c.saved(0);
        if (c.create_graph())
            c.add(0, c.grad() * (x * T(2)));
        else
            c.add(0, detail::map_grad(c, x, [](T g, T v) { return T(2) * v * g; }));
    });
    return y;
}

template <class T>
Tensor<T> sqrt(const Tensor<T>& x) {
    Tensor<T> y(Array<T>(xt::sqrt(x.value())));
    record("sqrt", {x}, y, {y}, [](BackwardContext<T>& c) {
        // d √x = dx / (2√x)
        c.add(0, c.grad() / (c.saved(0) * T(2)));
    });
    return y;
}

template <class T>
Tensor<T> exp(const Tensor<T>& x) {
    Tensor<T> y = detail::map_or_expression(
        x, [](T v) { return std::exp(v); }, [](const auto& v) { return xt::exp(v); });
    record("exp", {x}, y, {y}, [](BackwardContext<T>& c) {
        // d eˣ = eˣ dx
        c.add(0, c.grad() * c.saved(0));
    });
    return y;
}

template <class T>
Tensor<T> log(const Tensor<T>& x) {
    Tensor<T> y = detail::map_or_expression(
        x, [](T v) { return std::log(v); }, [](const auto& v) { return xt::log(v); });
    record("log", {x}, y, {x}, [](BackwardContext<T>& c) {
        // d ln x = dx / x
        c.add(0, c.grad() / c.saved(0));
    });
    return y;
}

template <class T>
Tensor<T> abs(const Tensor<T>& x) {
    Tensor<T> y(Array<T>(xt::abs(x.value())));
    // sign(x) is a constant of the backward (0 at x = 0).
    record("abs", {x}, y, {x}, [](BackwardContext<T>& c) {
        const Array<T>& v = c.saved(0).value();
        Tensor<T> sign(Array<T>(xt::where(v > T(0), T(1), xt::where(v < T(0), T(-1), T(0)))));
        c.add(0, c.grad() * sign);
    });
    return y;
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
