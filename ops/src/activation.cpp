#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/record.hpp>

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

namespace tg {

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
    Tensor<T> y(Array<T>(T(1) / (T(1) + xt::exp(-x.value()))));
    record("sigmoid", {x}, y, {y}, [](BackwardContext<T>& c) {
        // dσ = σ (1 − σ) dx
        const Tensor<T>& s = c.saved(0);
        c.add(0, c.grad() * (s * (T(1) - s)));
    });
    return y;
}

template <class T>
Tensor<T> tanh(const Tensor<T>& x) {
    Tensor<T> y(Array<T>(xt::tanh(x.value())));
    record("tanh", {x}, y, {y}, [](BackwardContext<T>& c) {
        // d tanh = (1 − tanh²) dx
        const Tensor<T>& t = c.saved(0);
        c.add(0, c.grad() * (T(1) - t * t));
    });
    return y;
}

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
    Tensor<T> y(Array<T>(xt::maximum(x.value(), T(0))));
    record("relu", {x}, y, {x}, [](BackwardContext<T>& c) {
        // d relu = [x > 0] dx; the mask is a constant of the backward.
        Tensor<T> mask(Array<T>(xt::where(c.saved(0).value() > T(0), T(1), T(0))));
        c.add(0, c.grad() * mask);
    });
    return y;
}

template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, detail::scalar_t<T> slope) {
    Tensor<T> y(Array<T>(xt::where(x.value() > T(0), x.value(), slope * x.value())));
    record("leaky_relu", {x}, y, {x}, [slope](BackwardContext<T>& c) {
        // d leaky_relu = (x > 0 ? 1 : slope) dx
        Tensor<T> factor(Array<T>(xt::where(c.saved(0).value() > T(0), T(1), slope)));
        c.add(0, c.grad() * factor);
    });
    return y;
}

template <class T>
Tensor<T> softplus(const Tensor<T>& x) {
    // log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): no overflow for large |x|.
    const Array<T>& v = x.value();
    Tensor<T> y(Array<T>(xt::maximum(v, T(0)) + xt::log1p(xt::exp(-xt::abs(v)))));
    record("softplus", {x}, y, {x}, [](BackwardContext<T>& c) {
        // d softplus = σ(x) dx
        c.add(0, c.grad() * sigmoid(c.saved(0)));
    });
    return y;
}

#define TG_INSTANTIATE(T)                                                \
    template Tensor<T> sigmoid(const Tensor<T>&);                        \
    template Tensor<T> tanh(const Tensor<T>&);                           \
    template Tensor<T> relu(const Tensor<T>&);                           \
    template Tensor<T> leaky_relu(const Tensor<T>&, detail::scalar_t<T>); \
    template Tensor<T> softplus(const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
