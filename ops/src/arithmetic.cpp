#include <tapegrad/broadcast.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "elementwise.hpp"

namespace tg {
namespace detail {

/// d(a b) = b da + a db
template <class T>
struct Mul {
    static constexpr const char* name = "mul";
    T value(T a, T b) const { return a * b; }
    template <class V>
    auto grad_a(const V& g, const V&, const V& b) const {
        return g * b;
    }
    template <class V>
    auto grad_b(const V& g, const V& a, const V&) const {
        return g * a;
    }
};

}  // namespace detail

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
    Tensor<T> y = detail::broadcast_map("add", a, b, [](T u, T v) { return u + v; });
    record("add", {a, b}, y, {}, [](BackwardContext<T>& c) {
        if (c.needs(0)) c.add(0, sum_to(c.grad(), c.input_shape(0)));
        if (c.needs(1)) c.add(1, sum_to(c.grad(), c.input_shape(1)));
    });
    return y;
}

template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
    detail::broadcast_shapes("sub", a.shape(), b.shape());  // before anything is recorded
    return add(a, neg(b));
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::binary(a, b, detail::Mul<T>{});
}

template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
    detail::broadcast_shapes("div", a.shape(), b.shape());
    return mul(a, pow(b, T(-1)));
}

template <class T>
Tensor<T> neg(const Tensor<T>& a) {
    Tensor<T> y = detail::map(a, [](T u) { return -u; });
    record("neg", {a}, y, {}, [](BackwardContext<T>& c) { c.add(0, neg(c.grad())); });
    return y;
}

#define TG_INSTANTIATE(T)                                       \
    template Tensor<T> add(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> sub(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> mul(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> div(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> neg(const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
