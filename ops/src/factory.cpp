#include <tapegrad/check.hpp>
#include <tapegrad/ops/factory.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

namespace tg {
namespace {

/// A tensor of `shape` with every element `value`.
template <class T>
Tensor<T> filled(const Shape& shape, T value, bool requires_grad) {
    Tensor<T> out = Tensor<T>::uninitialized(shape);
    Array<T>& v = out.node()->value;
    std::fill(v.data(), v.data() + v.size(), value);
    out.set_requires_grad(requires_grad);
    return out;
}

/// A 1-D tensor of n values, value i = f(i).
template <class T, class F>
Tensor<T> sequence(std::size_t n, bool requires_grad, F f) {
    Tensor<T> out = Tensor<T>::uninitialized(Shape{n});
    T* v = out.node()->value.data();
    for (std::size_t i = 0; i < n; ++i) v[i] = f(i);
    out.set_requires_grad(requires_grad);
    return out;
}

}  // namespace

template <class T>
Tensor<T> zeros(const Shape& shape, bool requires_grad) {
    return filled(shape, T(0), requires_grad);
}

template <class T>
Tensor<T> ones(const Shape& shape, bool requires_grad) {
    return filled(shape, T(1), requires_grad);
}

template <class T>
Tensor<T> full(const Shape& shape, detail::NoDeduce<T> value, bool requires_grad) {
    return filled(shape, value, requires_grad);
}

template <class T>
Tensor<T> zeros_like(const Tensor<T>& x, bool requires_grad) {
    return filled(x.shape(), T(0), requires_grad);
}

template <class T>
Tensor<T> ones_like(const Tensor<T>& x, bool requires_grad) {
    return filled(x.shape(), T(1), requires_grad);
}

template <class T>
Tensor<T> full_like(const Tensor<T>& x, detail::NoDeduce<T> value, bool requires_grad) {
    return filled(x.shape(), value, requires_grad);
}

template <class T>
Tensor<T> empty_like(const Tensor<T>& x, bool requires_grad) {
    return filled(x.shape(), T(0), requires_grad);
}

template <class T>
Tensor<T> from_vector(const std::vector<T>& values, const Shape& shape, bool requires_grad) {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    TG_CHECK(n == values.size(), ShapeError, "from_vector: shape ", shape, " holds ", n,
             " elements but the vector has ", values.size(),
             "; pass a shape whose sizes multiply to the vector's size");
    Tensor<T> out = Tensor<T>::uninitialized(shape);
    std::copy(values.begin(), values.end(), out.node()->value.data());
    out.set_requires_grad(requires_grad);
    return out;
}

template <class T>
Tensor<T> arange(detail::NoDeduce<T> start, detail::NoDeduce<T> end, detail::NoDeduce<T> step,
                 bool requires_grad) {
    const auto args = [&] {  // the call as the messages name it, formatted on failure only
        return "arange(" + std::to_string(start) + ", " + std::to_string(end) + ", " +
               std::to_string(step) + ")";
    };
    if constexpr (std::is_floating_point_v<T>)
        TG_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), ValueError,
                 args(), ": start, end and step must be finite");
    TG_CHECK(step != T(0), ValueError, args(), ": step must not be 0");
    TG_CHECK(end == start || (end > start) == (step > T(0)), ValueError, args(), ": step ",
             std::to_string(step), " leads away from end; use a step of the other sign");
    std::size_t n = 0;
    if constexpr (std::is_floating_point_v<T>) {
        n = static_cast<std::size_t>(std::ceil((end - start) / step));
    } else {
        // ceil(|end − start| / |step|) in unsigned arithmetic, which cannot overflow.
        const auto magnitude = [](T a, T b) {  // |a − b|
            return a >= b ? std::uint64_t(a) - std::uint64_t(b)
                          : std::uint64_t(b) - std::uint64_t(a);
        };
        const std::uint64_t distance = magnitude(end, start), stride = magnitude(step, T(0));
        n = static_cast<std::size_t>(distance / stride + (distance % stride != 0));
    }
    return sequence<T>(n, requires_grad, [&](std::size_t i) { return start + T(i) * step; });
}

template <class T>
Tensor<T> arange(detail::NoDeduce<T> end) {
    return arange<T>(T(0), end, T(1), false);
}

template <class T>
Tensor<T> linspace(detail::NoDeduce<T> start, detail::NoDeduce<T> end, std::size_t steps,
                   bool requires_grad) {
    TG_CHECK(std::isfinite(start) && std::isfinite(end), ValueError,
             "linspace: start and end must be finite");
    const T delta = steps > 1 ? (end - start) / T(steps - 1) : T(0);
    return sequence<T>(steps, requires_grad, [&](std::size_t i) {
        return i + 1 == steps && steps > 1 ? end : start + T(i) * delta;
    });
}

template <class T>
Tensor<T> eye(std::size_t n, std::size_t m, bool requires_grad) {
    if (m == 0) m = n;
    Tensor<T> out = filled(Shape{n, m}, T(0), false);
    T* v = out.node()->value.data();
    for (std::size_t i = 0; i < std::min(n, m); ++i) v[i * m + i] = T(1);
    out.set_requires_grad(requires_grad);
    return out;
}

#define TG_FACTORY_INSTANTIATE(T)                                                 \
    template Tensor<T> zeros<T>(const Shape&, bool);                              \
    template Tensor<T> ones<T>(const Shape&, bool);                               \
    template Tensor<T> full<T>(const Shape&, T, bool);                            \
    template Tensor<T> zeros_like<T>(const Tensor<T>&, bool);                     \
    template Tensor<T> ones_like<T>(const Tensor<T>&, bool);                      \
    template Tensor<T> full_like<T>(const Tensor<T>&, T, bool);                   \
    template Tensor<T> empty_like<T>(const Tensor<T>&, bool);                     \
    template Tensor<T> from_vector<T>(const std::vector<T>&, const Shape&, bool); \
    template Tensor<T> arange<T>(T, T, T, bool);                                  \
    template Tensor<T> arange<T>(T);                                              \
    template Tensor<T> linspace<T>(T, T, std::size_t, bool);                      \
    template Tensor<T> eye<T>(std::size_t, std::size_t, bool);
TG_FACTORY_INSTANTIATE(float)
TG_FACTORY_INSTANTIATE(double)

// Index tensors (int64): the factories that make whole numbers; linspace and eye stay
// float and double.
template Tensor<std::int64_t> zeros<std::int64_t>(const Shape&, bool);
template Tensor<std::int64_t> ones<std::int64_t>(const Shape&, bool);
template Tensor<std::int64_t> full<std::int64_t>(const Shape&, std::int64_t, bool);
template Tensor<std::int64_t> zeros_like<std::int64_t>(const Tensor<std::int64_t>&, bool);
template Tensor<std::int64_t> ones_like<std::int64_t>(const Tensor<std::int64_t>&, bool);
template Tensor<std::int64_t> full_like<std::int64_t>(const Tensor<std::int64_t>&, std::int64_t,
                                                      bool);
template Tensor<std::int64_t> empty_like<std::int64_t>(const Tensor<std::int64_t>&, bool);
template Tensor<std::int64_t> from_vector<std::int64_t>(const std::vector<std::int64_t>&,
                                                        const Shape&, bool);
template Tensor<std::int64_t> arange<std::int64_t>(std::int64_t, std::int64_t, std::int64_t, bool);
template Tensor<std::int64_t> arange<std::int64_t>(std::int64_t);

}  // namespace tg
