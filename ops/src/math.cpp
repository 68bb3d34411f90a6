#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/record.hpp>

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

namespace tg {

template <class T>
Tensor<T> pow(const Tensor<T>& x, detail::scalar_t<T> p) {
    Tensor<T> y(Array<T>(xt::pow(x.value(), p)));
    record("pow", {x}, y, {x}, [p](BackwardContext<T>& c) {
        // d x^p = p x^(p-1) dx
        c.add(0, c.grad() * (pow(c.saved(0), p - T(1)) * p));
    });
    return y;
}

template <class T>
Tensor<T> square(const Tensor<T>& x) {
    Tensor<T> y(Array<T>(x.value() * x.value()));
    record("square", {x}, y, {x}, [](BackwardContext<T>& c) {
        // d x² = 2x dx
        c.add(0, c.grad() * (c.saved(0) * T(2)));
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
    Tensor<T> y(Array<T>(xt::exp(x.value())));
    record("exp", {x}, y, {y}, [](BackwardContext<T>& c) {
        // d eˣ = eˣ dx
        c.add(0, c.grad() * c.saved(0));
    });
    return y;
}

template <class T>
Tensor<T> log(const Tensor<T>& x) {
    Tensor<T> y(Array<T>(xt::log(x.value())));
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

#define TG_INSTANTIATE(T)                                        \
    template Tensor<T> pow(const Tensor<T>&, detail::scalar_t<T>); \
    template Tensor<T> square(const Tensor<T>&);                 \
    template Tensor<T> sqrt(const Tensor<T>&);                   \
    template Tensor<T> exp(const Tensor<T>&);                    \
    template Tensor<T> log(const Tensor<T>&);                    \
    template Tensor<T> abs(const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
