#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/detail/row_exp.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/softmax.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace tg {
namespace {

/// Runs f(offset, stride, n) once per lane along `axis`: the lane's elements are
/// data[offset + k·stride] for k < n. Plain loops: no lazy keep_dims reducer (an
/// xtensor 0.24.3 bug gives wrong values for that pattern, docs/notes.md). Lanes are
/// independent, so the intra-op threads share the blocks of lanes before `axis`.
template <class F>
void for_each_lane(const Shape& shape, std::size_t axis, F&& f) {
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
    for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
    const std::size_t n = shape[axis];
    if (n == 0) return;  // empty lanes: nothing to do
    detail::parallel_for(outer, detail::rows_per_thread(n * inner),
                         [&](std::size_t first, std::size_t last) {
                             for (std::size_t o = first; o < last; ++o)
                                 for (std::size_t i = 0; i < inner; ++i)
                                     f(o * n * inner + i, inner, n);
                         });
}

/// One contiguous lane of n values: y = x − max − log Σ e^(x − max) (log_softmax) or
/// e^(x − max) / Σ e^(x − max) (softmax), the exponentials vectorized (row_exp.hpp).
template <class T>
void softmax_lane(const T* x, std::size_t n, bool log_space, T* y) {
    const T m = detail::row_max(x, n);
    if (log_space) {
        const T log_total = std::log(detail::sum_exp(x, n, m, static_cast<T*>(nullptr)));
        for (std::size_t k = 0; k < n; ++k) y[k] = x[k] - m - log_total;
    } else {
        const T total = detail::sum_exp(x, n, m, y);
        for (std::size_t k = 0; k < n; ++k) y[k] /= total;
    }
}

/// softmax_lane along `axis`. A lane of an axis before the last (stride > 1) is gathered
/// into a contiguous buffer and scattered back, so every lane takes the same instructions.
template <class T>
Array<T> stable_softmax(const Array<T>& x, std::size_t axis, bool log_space) {
    Array<T> out = Array<T>::from_shape(x.shape());
    const T* in = x.data();
    T* y = out.data();
    const Shape shape(x.shape().begin(), x.shape().end());
    for_each_lane(shape, axis, [&](std::size_t off, std::size_t stride, std::size_t n) {
        if (stride == 1) return softmax_lane(in + off, n, log_space, y + off);
        thread_local std::vector<T> lane;  // the lane's values, then its result
        lane.resize(2 * n);
        for (std::size_t k = 0; k < n; ++k) lane[k] = in[off + k * stride];
        softmax_lane(lane.data(), n, log_space, lane.data() + n);
        for (std::size_t k = 0; k < n; ++k) y[off + k * stride] = lane[n + k];
    });
    return out;
}

std::size_t softmax_axis(const char* op, long axis, std::size_t rank) {
    TG_CHECK(rank > 0, ShapeError, op, ": needs a tensor of rank >= 1, got a 0-d tensor");
    return detail::normalize_axis(op, axis, rank);
}

}  // namespace

template <class T>
Tensor<T> softmax(const Tensor<T>& x, long axis_arg) {
    const std::size_t axis = softmax_axis("softmax", axis_arg, x.dim());
    Tensor<T> y(stable_softmax(x.value(), axis, false));
    record("softmax", {x}, y, {y}, [axis](BackwardContext<T>& c) {
        // dx = y ⊙ (g − Σ_axis g ⊙ y)
        const Tensor<T>& s = c.saved(0);
        const Tensor<T>& g = c.grad();
        c.add(0, s * (g - sum(g * s, {static_cast<long>(axis)}, true)));
    });
    return y;
}

template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, long axis_arg) {
    const std::size_t axis = softmax_axis("log_softmax", axis_arg, x.dim());
    Tensor<T> y(stable_softmax(x.value(), axis, true));
    record("log_softmax", {x}, y, {y}, [axis](BackwardContext<T>& c) {
        // dx = g − softmax(x) ⊙ Σ_axis g, with softmax(x) = e^y
        const Tensor<T>& g = c.grad();
        c.add(0, g - exp(c.saved(0)) * sum(g, {static_cast<long>(axis)}, true));
    });
    return y;
}

#define TG_INSTANTIATE(T)                               \
    template Tensor<T> softmax(const Tensor<T>&, long); \
    template Tensor<T> log_softmax(const Tensor<T>&, long);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
