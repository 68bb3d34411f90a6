#include <tapegrad/broadcast.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "kernels.hpp"

namespace tg {

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
    Tensor<T> y =
        detail::broadcast_map("add", a.value(), b.value(), [](T u, T v) { return u + v; });
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
    Tensor<T> y =
        detail::broadcast_map("mul", a.value(), b.value(), [](T u, T v) { return u * v; });
    record("mul", {a, b}, y, {a, b}, [](BackwardContext<T>& c) {
        // d(a b) = b da + a db
        if (!c.create_graph() && c.input_shape(0) == c.input_shape(1)) {
            // No broadcast: da = g b and db = g a, the last one written over g.
            const auto times = [](T g, T v) { return g * v; };
            const bool da = c.needs(0), db = c.needs(1);
            if (da && db) c.add(1, detail::map(c.grad(), c.saved(0), times));
            if (da) c.add(0, detail::map_grad(c, c.saved(1), times));
            if (db && !da) c.add(1, detail::map_grad(c, c.saved(0), times));
            return;
        }
        if (c.needs(0)) c.add(0, sum_to(c.grad() * c.saved(1), c.input_shape(0)));
        if (c.needs(1)) c.add(1, sum_to(c.grad() * c.saved(0), c.input_shape(1)));
    });
    return y;
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
