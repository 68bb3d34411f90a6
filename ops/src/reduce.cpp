#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/mask.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "max_along.hpp"

#include <algorithm>
#include <cmath>
#include <string>
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
    TG_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), ValueError, op,
             ": axis listed twice in ", axes);
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

/// out += Σₖ x[..., k, ...] along `axis` for a strided view x read in place (out: the
/// reduced shape's zeros). Each output element gets x's elements added in order of k, as
/// in the contiguous loops of sum, so the sums are the same bits.
template <class T>
void add_sums_in_place(const Tensor<T>& x, std::size_t axis, T* out) {
    const detail::Strided<T>& v = *x.node()->strided;
    const detail::Layout rest = detail::selected(v.layout, axis, 0);
    const std::size_t n = v.layout.shape[axis], step = v.layout.strides[axis];
    const T* data = v.storage.data();
    detail::for_each_run(rest, [&](std::size_t p, std::size_t i, std::size_t m, std::size_t s) {
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t j = 0; j < m; ++j) out[i + j] += data[p + k * step + j * s];
    });
}

}  // namespace

template <class T>
Tensor<T> sum(const Tensor<T>& x) {
    T total = 0;
    if (x.node()->strided) {  // read in place, in row-major order as below
        const detail::Strided<T>& v = *x.node()->strided;
        const T* data = v.storage.data();
        detail::for_each_run(v.layout,
                             [&](std::size_t p, std::size_t, std::size_t m, std::size_t s) {
                                 for (std::size_t j = 0; j < m; ++j) total += data[p + j * s];
                             });
    } else {
        for (T e : x.value()) total += e;
    }
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
        T* out = reduced.data();
        if (x.node()->strided) {
            add_sums_in_place(x, axis, out);
        } else if (inner == 1) {
            const T* in = x.value().data();
            // The last axis (layer_norm's mean, softmax's backward): each row's sum in a
            // register, added in the same order as below.
            for (std::size_t o = 0; o < outer; ++o) {
                T total = 0;
                for (std::size_t k = 0; k < n; ++k) total += in[o * n + k];
                out[o] = total;
            }
        } else {
            const T* in = x.value().data();
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
    TG_CHECK(x.size() > 0, ValueError, "mean: the tensor is empty");
    return sum(x) * (T(1) / static_cast<T>(x.size()));
}

template <class T>
Tensor<T> mean(const Tensor<T>& x, const Axes& axes_arg, bool keepdims) {
    const Shape shape = x.shape();
    std::size_t count = 1;
    for (std::size_t a : normalize_axes("mean", axes_arg, shape.size())) count *= shape[a];
    TG_CHECK(count > 0, ValueError, "mean: reducing over an empty axis of shape ", shape);
    return sum(x, axes_arg, keepdims) * (T(1) / static_cast<T>(count));
}

namespace detail {

template <class T>
Tensor<T> max_along(const Tensor<T>& x, long axis_arg, bool keepdims, NanPick pick) {
    const Shape shape = x.shape();
    TG_CHECK(!shape.empty(), ShapeError,
             "max: needs a tensor of rank >= 1 to reduce along an axis, got a 0-d tensor");
    const std::size_t axis = detail::normalize_axis("max", axis_arg, shape.size());
    TG_CHECK(shape[axis] > 0, ValueError, "max: axis ", axis, " of shape ", shape, " is empty");
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
Tensor<T> max(const Tensor<T>& x) {
    TG_CHECK(x.size() > 0, ValueError,
             "max: the tensor is empty, so it has no largest element; give max an axis and "
             "keepdims, or check for empty inputs first");
    const Array<T>& v = x.value();
    T m = *v.data();
    for (T e : v) {
        if (e != e) {  // a NaN is the maximum
            m = e;
            break;
        }
        if (e > m) m = e;
    }
    const bool nan = m != m;
    // share = [x = m] / #{x = m}, NaN matching NaN: a constant of the backward.
    Array<T> share = Array<T>::from_shape(v.shape());
    std::size_t count = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const T e = v.data()[i];
        const bool at_max = nan ? e != e : e == m;
        share.data()[i] = at_max ? T(1) : T(0);
        count += at_max;
    }
    share /= static_cast<T>(count);
    Tensor<T> y(m);
    record("max", {x}, y, {Tensor<T>(std::move(share))},
           [](BackwardContext<T>& c) { c.add(0, c.grad() * c.saved(0)); });
    return y;
}

template <class T>
Tensor<T> max(const Tensor<T>& x, long axis, bool keepdims) {
    return detail::max_along(x, axis, keepdims, detail::NanPick::first);
}

#define TG_INSTANTIATE(T)                                         \
    template Tensor<T> sum(const Tensor<T>&);                     \
    template Tensor<T> sum(const Tensor<T>&, const Axes&, bool);  \
    template Tensor<T> mean(const Tensor<T>&);                    \
    template Tensor<T> mean(const Tensor<T>&, const Axes&, bool); \
    template Tensor<T> max(const Tensor<T>&);                     \
    template Tensor<T> max(const Tensor<T>&, long, bool);         \
    template Tensor<T> detail::max_along(const Tensor<T>&, long, bool, detail::NanPick);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

// ---- min, argmax / argmin, logsumexp, var / std, prod, cumsum, norm ------------------
namespace {

/// x's shape split around `axis`: (outer, n, inner) with x = outer × n × inner elements.
struct AxisSplit {
    std::size_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_around(const Shape& s, std::size_t axis) {
    AxisSplit a;
    for (std::size_t k = 0; k < s.size(); ++k)
        (k < axis ? a.outer : k == axis ? a.n : a.inner) *= s[k];
    return a;
}

/// x's shape with `axis` removed, or kept as 1.
Shape reduced_shape(const Shape& s, std::size_t axis, bool keepdims) {
    Shape out;
    for (std::size_t k = 0; k < s.size(); ++k)
        if (k != axis)
            out.push_back(s[k]);
        else if (keepdims)
            out.push_back(1);
    return out;
}

/// The first position of the best value along `axis` by `better(a, b)` (a beats b).
template <class T, class Better>
Tensor<std::int64_t> arg_best(const char* name, const Tensor<T>& x, long axis_arg, bool keepdims,
                              Better better) {
    const std::size_t axis = detail::normalize_axis(name, axis_arg, x.dim());
    const Shape s = x.shape();
    TG_CHECK(s[axis] > 0, ValueError, name, ": axis ", axis, " of shape ", s,
             " is empty; there is no position to return");
    const AxisSplit a = split_around(s, axis);
    Array<std::int64_t> out = Array<std::int64_t>::from_shape(reduced_shape(s, axis, keepdims));
    const T* v = x.value().data();
    for (std::size_t o = 0; o < a.outer; ++o)
        for (std::size_t i = 0; i < a.inner; ++i) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < a.n; ++j)
                if (better(v[(o * a.n + j) * a.inner + i], v[(o * a.n + best) * a.inner + i]))
                    best = j;
            out.data()[o * a.inner + i] = static_cast<std::int64_t>(best);
        }
    return Tensor<std::int64_t>(std::move(out));
}

/// The running sums of x along `axis`, recorded with the backward flip(cumsum(flip(g))).
template <class T>
Tensor<T> running_sum(const Tensor<T>& x, std::size_t axis) {
    const AxisSplit a = split_around(x.shape(), axis);
    Tensor<T> y = Tensor<T>::uninitialized(x.value().shape());
    const T* in = x.value().data();
    T* out = y.node()->value.data();
    for (std::size_t o = 0; o < a.outer; ++o)
        for (std::size_t i = 0; i < a.inner; ++i) {
            T total = 0;
            for (std::size_t j = 0; j < a.n; ++j) {
                const std::size_t e = (o * a.n + j) * a.inner + i;
                out[e] = total += in[e];
            }
        }
    record("cumsum", {x}, y, {}, [axis](BackwardContext<T>& c) {
        const std::vector<long> along{static_cast<long>(axis)};
        c.add(0, flip(cumsum(flip(c.grad(), along), static_cast<long>(axis)), along));
    });
    return y;
}

/// x as one axis, unrecorded (for argmax and argmin over every element, which have no
/// gradient): a view when x is contiguous.
template <class T>
Tensor<T> flattened(const Tensor<T>& x) {
    NoGradGuard unrecorded;
    return reshape(x, Shape{x.numel()});
}

}  // namespace

template <class T>
Tensor<T> min(const Tensor<T>& x) {
    return -max(-x);
}

template <class T>
Tensor<T> min(const Tensor<T>& x, long axis, bool keepdims) {
    return -max(-x, axis, keepdims);
}

template <class T>
Tensor<std::int64_t> argmax(const Tensor<T>& x, long axis, bool keepdims) {
    // NaN wins, as in torch.argmax: a NaN is "larger" than any number.
    return arg_best("argmax", x, axis, keepdims,
                    [](T a, T b) { return a > b || (std::isnan(a) && !std::isnan(b)); });
}

template <class T>
Tensor<std::int64_t> argmin(const Tensor<T>& x, long axis, bool keepdims) {
    return arg_best("argmin", x, axis, keepdims,
                    [](T a, T b) { return a < b || (std::isnan(a) && !std::isnan(b)); });
}

template <class T>
Tensor<std::int64_t> argmax(const Tensor<T>& x) {
    return argmax(flattened(x), 0);
}

template <class T>
Tensor<std::int64_t> argmin(const Tensor<T>& x) {
    return argmin(flattened(x), 0);
}

template <class T>
Tensor<T> logsumexp(const Tensor<T>& x, const Axes& axes, bool keepdims) {
    // m: the maximum over the axes as an unrecorded constant (any m gives the same value;
    // the maximum keeps exp from overflowing); 0 where it is not finite (all −inf slices).
    Tensor<T> m;
    {
        NoGradGuard constant;
        Tensor<T> peak = x.detach();
        for (long axis : axes) {  // one axis at a time, kept, so positions stay put
            const long a = static_cast<long>(detail::normalize_axis("logsumexp", axis, x.dim()));
            peak = max(peak, a, true);
        }
        Array<T> v = peak.value();
        for (T& e : v)
            if (!std::isfinite(e)) e = T(0);
        m = Tensor<T>(std::move(v));
    }
    Tensor<T> y = log(sum(exp(x - m), axes, true)) + m;
    if (keepdims) return y;
    Shape kept;  // y's shape without the reduced axes (each of size 1 now)
    std::vector<bool> reduced(x.dim(), false);
    for (long axis : axes) reduced[detail::normalize_axis("logsumexp", axis, x.dim())] = true;
    for (std::size_t k = 0; k < x.dim(); ++k)
        if (!reduced[k]) kept.push_back(y.shape()[k]);
    return reshape(y, kept);
}

template <class T>
Tensor<T> var(const Tensor<T>& x, const Axes& axes, long correction, bool keepdims) {
    std::size_t count = 1;
    for (long axis : axes) count *= x.shape()[detail::normalize_axis("var", axis, x.dim())];
    const Tensor<T> d = x - mean(x, axes, true);
    return sum(d * d, axes, keepdims) /
           T(static_cast<double>(count) - static_cast<double>(correction));
}

template <class T>
Tensor<T> std(const Tensor<T>& x, const Axes& axes, long correction, bool keepdims) {
    return sqrt(var(x, axes, correction, keepdims));
}

template <class T>
Tensor<T> prod(const Tensor<T>& x, long axis_arg, bool keepdims) {
    const std::size_t axis = detail::normalize_axis("prod", axis_arg, x.dim());
    const long a = static_cast<long>(axis);
    std::vector<Tensor<T>> factors;
    for (std::size_t j = 0; j < x.shape()[axis]; ++j)
        factors.push_back(select(x, a, static_cast<long>(j)));
    if (factors.empty()) {  // the empty product is 1
        Array<T> ones = Array<T>::from_shape(reduced_shape(x.shape(), axis, keepdims));
        std::fill(ones.begin(), ones.end(), T(1));
        return Tensor<T>(std::move(ones));
    }
    while (factors.size() > 1) {  // pairwise: depth log n
        std::vector<Tensor<T>> next;
        for (std::size_t k = 0; k + 1 < factors.size(); k += 2)
            next.push_back(factors[k] * factors[k + 1]);
        if (factors.size() % 2) next.push_back(factors.back());
        factors = std::move(next);
    }
    return keepdims ? unsqueeze(factors[0], a) : factors[0];
}

template <class T>
Tensor<T> cumsum(const Tensor<T>& x, long axis) {
    return running_sum(x, detail::normalize_axis("cumsum", axis, x.dim()));
}

namespace {

/// (Σ |x|^p)^(1/p) over checked `axes` (√Σ x² for p = 2), one entry "vector_norm" whose
/// backward is PyTorch's norm_backward, with its 0 where the norm is 0 (a slice of
/// zeros; the formula's x / y would be 0 / 0) and at x = 0 for p < 1:
///     p ≥ 2:  dx = x |x|^(p−2) · g / y^(p−1)       p < 2:  dx = sgn(x) |x|^(p−1) · g / y^(p−1)
/// The masked entries divide by 1 instead of 0, so second derivatives stay finite.
template <class T>
Tensor<T> p_norm(const Tensor<T>& x, T p, const Axes& axes, bool keepdim) {
    const Tensor<T> xd = x.detach();
    const Tensor<T> value = p == T(2) ? sqrt(sum(xd * xd, axes, keepdim))
                                      : pow(sum(pow(abs(xd), p), axes, keepdim), T(1) / p);
    Tensor<T> y(Array<T>(value.value()));
    Shape kept = x.shape();  // the norm's shape with keepdim
    for (long a : axes) kept[static_cast<std::size_t>(a)] = 1;
    record("vector_norm", {x}, y, {x, y}, [p, kept](BackwardContext<T>& c) {
        const Tensor<T>& in = c.saved(0);
        const Tensor<T> norm = reshape(c.saved(1), kept);
        const Tensor<T> zero = eq(norm.detach(), Tensor<T>(T(0)));  // constants
        const Tensor<T> safe_norm = where(zero, Tensor<T>(T(1)), norm);
        const Tensor<T> g = reshape(c.grad(), kept);
        const Tensor<T> scale =
            where(zero, Tensor<T>(T(0)), p == T(2) ? g / safe_norm : g / pow(safe_norm, p - 1));
        if (p >= T(2)) {
            c.add(0, (p == T(2) ? in : in * pow(abs(in), p - 2)) * scale);
            return;
        }
        const Tensor<T> safe_abs =
            where(eq(in.detach(), Tensor<T>(T(0))), Tensor<T>(T(1)), abs(in));
        c.add(0, sign(in) * pow(safe_abs, p - 1) * scale);
    });
    return y;
}

}  // namespace

template <class T>
Tensor<T> vector_norm(const Tensor<T>& x, double ord, const Axes& dim, bool keepdim) {
    TG_CHECK(!std::isnan(ord), ValueError,
             "vector_norm: ord is NaN; give a number, or ±infinity (max or min |x|)");
    Axes axes;  // sorted and checked; every axis for an empty `dim` (PyTorch's None)
    if (dim.empty())
        for (std::size_t a = 0; a < x.dim(); ++a) axes.push_back(static_cast<long>(a));
    else
        for (std::size_t a : normalize_axes("vector_norm", dim, x.dim()))
            axes.push_back(static_cast<long>(a));
    if (ord == 1) return sum(abs(x), axes, keepdim);
    if (ord == 0)  // the nonzeros, counted on constants: gradient 0
        return sum(T(1) - eq(x.detach(), Tensor<T>(T(0))), axes, keepdim);
    if (std::isinf(ord)) {
        // max (min) |x| as Σ |x| · share, share = [|x| = extreme] / (number of extremes): the
        // value is the extreme, the gradient PyTorch's equal parts. The shares are constants.
        const Tensor<T> a = abs(x.detach());
        Tensor<T> extreme = a;
        for (auto it = axes.rbegin(); it != axes.rend(); ++it)
            extreme = ord > 0 ? max(extreme, *it, true) : min(extreme, *it, true);
        const Tensor<T> at_extreme = eq(a, extreme);
        const Tensor<T> share = at_extreme / sum(at_extreme, axes, true);
        return sum(abs(x) * share, axes, keepdim);
    }
    return p_norm(x, static_cast<T>(ord), axes, keepdim);
}

template <class T>
Tensor<T> norm(const Tensor<T>& x, double p, const Axes& axes, bool keepdim) {
    return vector_norm(x, p, axes, keepdim);
}

template <class T>
Tensor<T> norm(const Tensor<T>& x, double p) {
    if (x.size() == 0 && std::isinf(p)) return Tensor<T>(T(0));  // the max of nothing
    return vector_norm(x, p);
}

#define TG_REDUCTIONS_INSTANTIATE(T)                                      \
    template Tensor<T> min(const Tensor<T>&);                             \
    template Tensor<T> min(const Tensor<T>&, long, bool);                 \
    template Tensor<std::int64_t> argmax(const Tensor<T>&, long, bool);   \
    template Tensor<std::int64_t> argmin(const Tensor<T>&, long, bool);   \
    template Tensor<std::int64_t> argmax(const Tensor<T>&);               \
    template Tensor<std::int64_t> argmin(const Tensor<T>&);               \
    template Tensor<T> logsumexp(const Tensor<T>&, const Axes&, bool);    \
    template Tensor<T> var(const Tensor<T>&, const Axes&, long, bool);    \
    template Tensor<T> std(const Tensor<T>&, const Axes&, long, bool);    \
    template Tensor<T> prod(const Tensor<T>&, long, bool);                \
    template Tensor<T> cumsum(const Tensor<T>&, long);                    \
    template Tensor<T> norm(const Tensor<T>&, double);                    \
    template Tensor<T> norm(const Tensor<T>&, double, const Axes&, bool); \
    template Tensor<T> vector_norm(const Tensor<T>&, double, const Axes&, bool);
TG_REDUCTIONS_INSTANTIATE(float)
TG_REDUCTIONS_INSTANTIATE(double)

}  // namespace tg
