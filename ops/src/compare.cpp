#include <tapegrad/broadcast.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/compare.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include <xtensor/xoperation.hpp>

namespace tg {
namespace {

/// 1 where the first argument is selected (a >= b for maximum, a <= b for minimum; ties
/// go to the first argument), 0 where the second is; of the broadcast shape.
template <class T>
Array<T> first_selected(const Array<T>& a, const Array<T>& b, bool is_max) {
    return is_max ? Array<T>(xt::where(a >= b, T(1), T(0)))
                  : Array<T>(xt::where(a <= b, T(1), T(0)));
}

/// maximum or minimum. d/da = g ⊙ m, d/db = g ⊙ (1 − m), each summed to its input's
/// shape, with m = first_selected(a, b) a constant of the backward.
template <class T>
Tensor<T> select(const char* name, const Tensor<T>& a, const Tensor<T>& b, bool is_max) {
    detail::broadcast_shapes(name, a.shape(), b.shape());
    const Array<T>& av = a.value();
    const Array<T>& bv = b.value();
    Tensor<T> y(is_max ? Array<T>(xt::where(av >= bv, av, bv))
                       : Array<T>(xt::where(av <= bv, av, bv)));
    record(name, {a, b}, y, {a, b}, [is_max](BackwardContext<T>& c) {
        Tensor<T> m(first_selected(c.saved(0).value(), c.saved(1).value(), is_max));
        if (c.needs(0)) c.add(0, sum_to(c.grad() * m, c.input_shape(0)));
        if (c.needs(1)) c.add(1, sum_to(c.grad() * (T(1) - m), c.input_shape(1)));
    });
    return y;
}

}  // namespace

template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
    return select("maximum", a, b, true);
}

template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
    return select("minimum", a, b, false);
}

template <class T>
Tensor<T> clamp(const Tensor<T>& x, detail::scalar_t<T> lo, detail::scalar_t<T> hi) {
    if (!(lo <= hi))
        throw ValueError("clamp: lower bound " + std::to_string(lo) + " is above upper bound " +
                         std::to_string(hi));
    const Array<T>& v = x.value();
    Tensor<T> y(Array<T>(xt::where(v < lo, lo, xt::where(v > hi, hi, v))));
    record("clamp", {x}, y, {x}, [lo, hi](BackwardContext<T>& c) {
        // d clamp = [lo <= x <= hi] dx; the mask is a constant of the backward.
        const Array<T>& xv = c.saved(0).value();
        Tensor<T> inside(Array<T>(xt::where(xv >= lo && xv <= hi, T(1), T(0))));
        c.add(0, c.grad() * inside);
    });
    return y;
}

#define TG_INSTANTIATE(T)                                           \
    template Tensor<T> maximum(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> minimum(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> clamp(const Tensor<T>&, detail::scalar_t<T>, detail::scalar_t<T>);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
