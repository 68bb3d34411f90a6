#include <tapegrad/broadcast.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "max_along.hpp"

#include <algorithm>
#include <vector>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xreducer.hpp>

namespace tg {
namespace {

/// Normalized axes, kept inline like a shape (no allocation for up to 4).
using AxisList = Shape;

/// Axes normalized (negative ones counted from the end), sorted, checked for repeats.
AxisList normalize_axes(const char* op, const Axes& axes, std::size_t rank) {
    AxisList out;
    for (long a : axes) out.push_back(detail::normalize_axis(op, a, rank));
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end())
        throw ValueError(std::string(op) + ": axis listed twice in " + shape_str(axes));
    return out;
}

/// The shape after reducing `axes`: kept with size 1 (keepdims) or removed.
Shape reduced_shape(const Shape& shape, const AxisList& axes, bool keepdims) {
    Shape out;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const bool reduced = std::binary_search(axes.begin(), axes.end(), i);
        if (!reduced)
            out.push_back(shape[i]);
        else if (keepdims)
            out.push_back(1);
    }
    return out;
}

/// g of the reduced shape, broadcast back over the reduced axes: d Σ x / dx = 1.
template <class T>
Tensor<T> expand_back(const Tensor<T>& g, const Shape& keepdims_shape, const Shape& input_shape) {
    return broadcast_to(reshape(g, keepdims_shape), input_shape);
}

}  // namespace

template <class T>
Tensor<T> sum(const Tensor<T>& x) {
    const Array<T>& v = x.value();
    T total = 0;
    for (T e : v) total += e;
    Tensor<T> y(total);
    record("sum", {x}, y, {},
           [](BackwardContext<T>& c) { c.add(0, broadcast_to(c.grad(), c.input_shape(0))); });
    return y;
}

template <class T>
Tensor<T> sum(const Tensor<T>& x, const Axes& axes_arg, bool keepdims) {
    const Shape shape = x.shape();
    const AxisList axes = normalize_axes("sum", axes_arg, shape.size());
    Array<T> reduced;
    if (axes.size() == 1) {
        // One axis, the common case (a bias gradient): a plain loop over (outer, n, inner).
        const std::size_t axis = axes[0];
        std::size_t outer = 1, inner = 1;
        for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
        for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
        const std::size_t n = shape[axis];
        reduced = xt::zeros<T>(reduced_shape(shape, axes, keepdims));
        const T* in = x.value().data();
        T* out = reduced.data();
        if (inner == 1) {
            // The last axis (layer_norm's mean, softmax's backward): each row's sum in a
            // register, added in the same order as below.
            for (std::size_t o = 0; o < outer; ++o) {
                T total = 0;
                for (std::size_t k = 0; k < n; ++k) total += in[o * n + k];
                out[o] = total;
            }
        } else {
            for (std::size_t o = 0; o < outer; ++o)
                for (std::size_t k = 0; k < n; ++k)
                    for (std::size_t i = 0; i < inner; ++i)
                        out[o * inner + i] += in[(o * n + k) * inner + i];
        }
    } else if (x.size() == 0) {
        reduced = xt::zeros<T>(reduced_shape(shape, axes, keepdims));  // xtensor's sum crashes here
    } else {
        // Evaluated at once: a lazy reducer is slow and, with keep_dims inside a broadcast,
        // wrong in xtensor 0.24.3 (docs/notes.md).
        reduced = xt::sum(x.value(), axes, xt::evaluation_strategy::immediate);
        reduced.reshape(reduced_shape(shape, axes, keepdims));
    }
    Tensor<T> y(std::move(reduced));
    record("sum", {x}, y, {}, [axes](BackwardContext<T>& c) {
        const Shape& in = c.input_shape(0);
        c.add(0, expand_back(c.grad(), reduced_shape(in, axes, true), in));
    });
    return y;
}

template <class T>
Tensor<T> mean(const Tensor<T>& x) {
    if (x.size() == 0) throw ValueError("mean: the tensor is empty");
    return sum(x) * (T(1) / static_cast<T>(x.size()));
}

template <class T>
Tensor<T> mean(const Tensor<T>& x, const Axes& axes_arg, bool keepdims) {
    const Shape shape = x.shape();
    std::size_t count = 1;
    for (std::size_t a : normalize_axes("mean", axes_arg, shape.size())) count *= shape[a];
    if (count == 0)
        throw ValueError("mean: reducing over an empty axis of shape " + shape_str(shape));
    return sum(x, axes_arg, keepdims) * (T(1) / static_cast<T>(count));
}

namespace detail {

template <class T>
Tensor<T> max_along(const Tensor<T>& x, long axis_arg, bool keepdims, NanPick pick) {
    const Shape shape = x.shape();
    if (shape.empty())
        throw ShapeError(
            "max: needs a tensor of rank >= 1 to reduce along an axis, got a 0-d tensor");
    const std::size_t axis = detail::normalize_axis("max", axis_arg, shape.size());
    if (shape[axis] == 0)
        throw ValueError("max: axis " + std::to_string(axis) + " of shape " + shape_str(shape) +
                         " is empty");
    // View x as (outer, n, inner) around the axis.
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
    for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
    const std::size_t n = shape[axis];
    const T* in = x.value().data();
    Array<T> values = Array<T>::from_shape(reduced_shape(shape, {axis}, keepdims));
    Array<T> first_max = xt::zeros<T>(shape);  // one-hot of the selected element
    // Row by row of the axis, so that the inner loop runs over contiguous entries (max
    // pooling's axis has 4 entries and ~N·Ho·Wo inner ones); a later entry wins only when
    // strictly greater, so the first maximal one is kept, or when it is a NaN: a NaN is the
    // maximum, and the first one (NanPick::first) or the last one keeps it.
    std::vector<std::size_t> best(inner);
    const auto sweep = [&](auto wins) {
        for (std::size_t o = 0; o < outer; ++o) {
            T* value = values.data() + o * inner;
            std::copy_n(in + o * n * inner, inner, value);
            std::fill(best.begin(), best.end(), std::size_t{0});
            for (std::size_t k = 1; k < n; ++k) {
                const T* row = in + (o * n + k) * inner;
                for (std::size_t i = 0; i < inner; ++i)
                    if (wins(row[i], value[i])) value[i] = row[i], best[i] = k;
            }
            for (std::size_t i = 0; i < inner; ++i)
                first_max.data()[(o * n + best[i]) * inner + i] = T(1);
        }
    };
    if (pick == NanPick::first)
        sweep([](T v, T best_so_far) {
            return v > best_so_far || (v != v && best_so_far == best_so_far);
        });
    else
        sweep([](T v, T best_so_far) { return v > best_so_far || v != v; });
    Tensor<T> y(std::move(values));
    Tensor<T> mask(std::move(first_max));
    record("max", {x}, y, {mask}, [axis](BackwardContext<T>& c) {
        // d max = dx at the selected element, 0 elsewhere.
        const Shape& in = c.input_shape(0);
        c.add(0, expand_back(c.grad(), reduced_shape(in, {axis}, true), in) * c.saved(0));
    });
    return y;
}

}  // namespace detail

template <class T>
Tensor<T> max(const Tensor<T>& x, long axis, bool keepdims) {
    return detail::max_along(x, axis, keepdims, detail::NanPick::first);
}

#define TG_INSTANTIATE(T)                                         \
    template Tensor<T> sum(const Tensor<T>&);                     \
    template Tensor<T> sum(const Tensor<T>&, const Axes&, bool);  \
    template Tensor<T> mean(const Tensor<T>&);                    \
    template Tensor<T> mean(const Tensor<T>&, const Axes&, bool); \
    template Tensor<T> max(const Tensor<T>&, long, bool);         \
    template Tensor<T> detail::max_along(const Tensor<T>&, long, bool, detail::NanPick);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
