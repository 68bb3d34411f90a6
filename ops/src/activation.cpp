#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>
#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "kernels.hpp"

namespace tg {

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
    Tensor<T> y = detail::map_or_expression(
        x, [](T v) { return T(1) / (T(1) + std::exp(-v)); },
        [](const auto& v) { return T(1) / (T(1) + xt::exp(-v)); });
    record("sigmoid", {x}, y, {y}, [](BackwardContext<T>& c) {
        // dσ = σ (1 − σ) dx
        const Tensor<T>& s = c.saved(0);
        if (c.create_graph())
            c.add(0, c.grad() * (s * (T(1) - s)));
        else
            c.add(0, detail::map_grad(c, s, [](T g, T v) { return g * v * (T(1) - v); }));
    });
    return y;
}

template <class T>
Tensor<T> tanh(const Tensor<T>& x) {
    Tensor<T> y = detail::map_or_expression(
        x, [](T v) { return std::tanh(v); }, [](const auto& v) { return xt::tanh(v); });
    record("tanh", {x}, y, {y}, [](BackwardContext<T>& c) {
        // d tanh = (1 − tanh²) dx
        const Tensor<T>& t = c.saved(0);
        if (c.create_graph())
            c.add(0, c.grad() * (T(1) - t * t));
        else
            c.add(0, detail::map_grad(c, t, [](T g, T v) { return g * (T(1) - v * v); }));
    });
    return y;
}

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
    Tensor<T> y = detail::map(x, [](T v) { return v > T(0) ? v : T(0); });
    record("relu", {x}, y, {x}, [](BackwardContext<T>& c) {
        // d relu = [x > 0] dx; the mask is a constant of the backward.
        const Tensor<T>& x = c.saved(0);
        if (c.create_graph())
            c.add(0, c.grad() * detail::map(x, [](T v) { return v > T(0) ? T(1) : T(0); }));
        else
            c.add(0, detail::map_grad(c, x, [](T g, T v) { return v > T(0) ? g : T(0); }));
    });
    return y;
}

template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, detail::scalar_t<T> slope) {
    Tensor<T> y = detail::map(x, [slope](T v) { return v > T(0) ? v : slope * v; });
    record("leaky_relu", {x}, y, {x}, [slope](BackwardContext<T>& c) {
        // d leaky_relu = (x > 0 ? 1 : slope) dx; the factor is a constant of the backward.
        const Tensor<T>& x = c.saved(0);
        if (c.create_graph())
            c.add(0, c.grad() * detail::map(x, [slope](T v) { return v > T(0) ? T(1) : slope; }));
        else
            c.add(0,
                  detail::map_grad(c, x, [slope](T g, T v) { return v > T(0) ? g : slope * g; }));
    });
    return y;
}

template <class T>
Tensor<T> softplus(const Tensor<T>& x) {
    // log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): no overflow for large |x|.
    Tensor<T> y = detail::map_or_expression(
        x, [](T e) { return std::max(e, T(0)) + std::log1p(std::exp(-std::abs(e))); },
        [](const auto& v) { return xt::maximum(v, T(0)) + xt::log1p(xt::exp(-xt::abs(v))); });
    record("softplus", {x}, y, {x}, [](BackwardContext<T>& c) {
        // d softplus = σ(x) dx
        c.add(0, c.grad() * sigmoid(c.saved(0)));
    });
    return y;
}

#define TG_INSTANTIATE(T)                                                 \
    template Tensor<T> sigmoid(const Tensor<T>&);                         \
    template Tensor<T> tanh(const Tensor<T>&);                            \
    template Tensor<T> relu(const Tensor<T>&);                            \
    template Tensor<T> leaky_relu(const Tensor<T>&, detail::scalar_t<T>); \
    template Tensor<T> softplus(const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
