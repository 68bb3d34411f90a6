#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/mask.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

namespace tg {
namespace {

/// x's values broadcast to `shape`, as an unrecorded array.
template <class T>
Array<T> values_at(const Tensor<T>& x, const Shape& shape) {
    if (x.shape() == shape) return x.value();
    NoGradGuard constant;
    return broadcast_to(x.detach(), shape).value();
}

/// 1 where pred(a, b), else 0, broadcasting; never recorded.
template <class T, class Pred>
Tensor<T> compare(const char* name, const Tensor<T>& a, const Tensor<T>& b, Pred pred) {
    const Shape shape = detail::broadcast_shapes(name, a.shape(), b.shape());
    const Array<T> u = values_at(a, shape), v = values_at(b, shape);
    Array<T> out = Array<T>::from_shape(shape);
    for (std::size_t i = 0; i < out.size(); ++i)
        out.data()[i] = pred(u.data()[i], v.data()[i]) ? T(1) : T(0);
    return Tensor<T>(std::move(out));
}

}  // namespace

template <class T>
Tensor<T> where(const Tensor<T>& cond, const Tensor<T>& a, const Tensor<T>& b) {
    const Shape shape = detail::broadcast_shapes(
        "where", detail::broadcast_shapes("where", cond.shape(), a.shape()), b.shape());
    const Array<T> c = values_at(cond, shape), u = values_at(a, shape), v = values_at(b, shape);
    Tensor<T> y = Tensor<T>::uninitialized(shape);
    T* out = y.node()->value.data();
    for (std::size_t i = 0; i < y.size(); ++i)
        out[i] = c.data()[i] != T(0) ? u.data()[i] : v.data()[i];
    const Tensor<T> mask = cond.detach();  // a constant of the backward
    record("where", {a, b}, y, {}, [mask](BackwardContext<T>& ctx) {
        const Tensor<T> zero(T(0));
        if (ctx.needs(0)) ctx.add(0, sum_to(where(mask, ctx.grad(), zero), ctx.input_shape(0)));
        if (ctx.needs(1)) ctx.add(1, sum_to(where(mask, zero, ctx.grad()), ctx.input_shape(1)));
    });
    return y;
}

template <class T>
Tensor<T> masked_fill(const Tensor<T>& x, const Tensor<T>& mask, T value) {
    TG_CHECK(detail::broadcast_shapes("masked_fill", mask.shape(), x.shape()) == x.shape(),
             ShapeError, "masked_fill: mask of shape ", mask.shape(),
             " does not broadcast to the tensor's shape ", x.shape());
    return where(mask, Tensor<T>(value), x);
}

template <class T>
Tensor<T> gt(const Tensor<T>& a, const Tensor<T>& b) {
    return compare("gt", a, b, [](T u, T v) { return u > v; });
}
template <class T>
Tensor<T> lt(const Tensor<T>& a, const Tensor<T>& b) {
    return compare("lt", a, b, [](T u, T v) { return u < v; });
}
template <class T>
Tensor<T> ge(const Tensor<T>& a, const Tensor<T>& b) {
    return compare("ge", a, b, [](T u, T v) { return u >= v; });
}
template <class T>
Tensor<T> le(const Tensor<T>& a, const Tensor<T>& b) {
    return compare("le", a, b, [](T u, T v) { return u <= v; });
}
template <class T>
Tensor<T> eq(const Tensor<T>& a, const Tensor<T>& b) {
    return compare("eq", a, b, [](T u, T v) { return u == v; });
}
template <class T>
Tensor<T> ne(const Tensor<T>& a, const Tensor<T>& b) {
    return compare("ne", a, b, [](T u, T v) { return u != v; });
}

#define TG_MASK_INSTANTIATE(T)                                                      \
    template Tensor<T> where(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> masked_fill(const Tensor<T>&, const Tensor<T>&, T);          \
    template Tensor<T> gt(const Tensor<T>&, const Tensor<T>&);                      \
    template Tensor<T> lt(const Tensor<T>&, const Tensor<T>&);                      \
    template Tensor<T> ge(const Tensor<T>&, const Tensor<T>&);                      \
    template Tensor<T> le(const Tensor<T>&, const Tensor<T>&);                      \
    template Tensor<T> eq(const Tensor<T>&, const Tensor<T>&);                      \
    template Tensor<T> ne(const Tensor<T>&, const Tensor<T>&);
TG_MASK_INSTANTIATE(float)
TG_MASK_INSTANTIATE(double)

}  // namespace tg
