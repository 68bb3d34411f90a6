#pragma once
// Elementwise ops written once (private to ops/; docs/design.md, "Adding an op").
//
// An elementwise op is a definition: a small struct with its name, which tensor its
// backward reads, its value and its gradient as generic code. The helpers here
// instantiate that code three ways, so each formula exists once:
//   - on T, for the plain loops: the forward on small tensors and the fused backward of a
//     sweep that does not record;
//   - on xtensor expressions, for the xsimd-vectorized forward on larger tensors (only
//     when the definition says `vectorized`);
//   - on Tensor<T>, for the backward of a sweep that records (create_graph), where the
//     gradient must itself be made of differentiable ops.
//
// A unary definition (for an op y = f(x)) provides
//     static constexpr const char* name;     // recorded and used in errors
//     static constexpr Saves saves;          // the backward reads x (Saves::input) or y
//     static constexpr bool vectorized;      // value() also compiles on xtensor expressions
//     auto value(const V& x) const;          // y
//     auto grad(const V& g, const V& s) const;  // dx for the output's gradient g, s = x or y
// A binary definition (y = f(a, b), numpy broadcasting) provides name, value(a, b) on T,
// and grad_a(g, a, b), grad_b(g, a, b): each input's gradient before it is summed back
// to the input's shape.
//
// Math functions are called unqualified after `using std::exp;` (and so on): a double
// finds std::exp, an xtensor expression xt::exp and a Tensor tg::exp, by argument-dependent
// lookup. A derivative that is a step function (relu's [x > 0], abs's sign) is written
// with step_function(), which is f itself on T and an unrecorded tensor on Tensor<T>: its
// own derivative is 0 wherever it exists.

#include <tapegrad/detail/vectorize.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tensor.hpp>

#include <algorithm>
#include <array>
#include <type_traits>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "kernels.hpp"

namespace tg {

template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape);

namespace detail {

/// Which tensor an elementwise op's backward reads.
enum class Saves { input, output };

// ---- the in-place gradient rule -------------------------------------------------------
//
// Contract. A backward that computes its inputs' gradients elementwise from the output's
// gradient g (dx[i] = f(g[i], s[i], ...), all of g's shape) may write the LAST of them
// over g itself, and only when BackwardContext::reusable_grad() hands g out: that is when
// the sweep does not record (create_graph off) and nothing else holds g (its use count is
// 1: no other entry, pending leaf gradient, capture or user handle can see the change).
// Each loop reads g[i] before it writes out[i] at the same index, so g's values are intact
// for the element being computed; every gradient but the last goes to a new tensor, as
// the later ones still read g. No op reasons about use counts or the order of these
// calls: they all call the two helpers below.

/// Hands input 0 the gradient dx[i] = f(g[i], s[i]), written over g when allowed.
template <class T, class F>
void add_pointwise_grad(BackwardContext<T>& c, const Tensor<T>& s, F f) {
    c.add(0, map_into(c.reusable_grad(), c.grad(), s, f));
}

/// Hands inputs 0 and 1 (those that need one) da[i] = fa(g[i], a[i], b[i]) and
/// db[i] = fb(g[i], a[i], b[i]); a, b and g all have one shape. The last one computed
/// may be written over g.
template <class T, class Fa, class Fb>
void add_pointwise_grads(BackwardContext<T>& c, const Tensor<T>& a, const Tensor<T>& b, Fa fa,
                         Fb fb) {
    const bool da = c.needs(0), db = c.needs(1);
    if (da && db) c.add(1, map_into(Tensor<T>::uninitialized(a.shape()), c.grad(), a, b, fb));
    if (da)
        c.add(0, map_into(c.reusable_grad(), c.grad(), a, b, fa));
    else if (db)
        c.add(1, map_into(c.reusable_grad(), c.grad(), a, b, fb));
}

// ---- pieces the definitions are written with -------------------------------------------

/// f(x) for a scalar; for a tensor, f applied elementwise into a tensor that is not
/// recorded (a constant of the backward). For derivatives that are step functions.
template <class T, class F, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
T step_function(T x, F f) {
    return f(x);
}
template <class T, class F>
Tensor<T> step_function(const Tensor<T>& x, F f) {
    return map(x, f);
}
/// The same for f(a, b), broadcasting a tensor pair.
template <class T, class F, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
T step_function(T a, T b, F f) {
    return f(a, b);
}
template <class T, class F>
Tensor<T> step_function(const Tensor<T>& a, const Tensor<T>& b, F f) {
    return broadcast_map("step_function", a, b, f);
}

/// max(x, 0) of a scalar or, elementwise, of an xtensor expression.
template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
T positive_part(T x) {
    return std::max(x, T(0));
}
template <class E, std::enable_if_t<!std::is_floating_point_v<E>, int> = 0>
auto positive_part(const E& x) {
    return xt::maximum(x, typename std::decay_t<E>::value_type(0));
}

// ---- the helpers that instantiate a definition -----------------------------------------

/// y = def.value(x) elementwise: a plain loop on small tensors; from
/// kVectorizedMinSize elements on, for a vectorized definition, the xtensor expression
/// def.value(v) of the values v seen as one flat 1-D array (a fixed-rank view assigns
/// with less bookkeeping than an xarray).
template <class T, class Def>
Tensor<T> unary_value(const Tensor<T>& x, const Def& def) {
    if constexpr (Def::vectorized) {
        if (x.size() >= kVectorizedMinSize) {
            Tensor<T> y = Tensor<T>::uninitialized(x.shape());
            T* py = y.node()->value.data();
            // A strided view's elements are gathered into y and mapped there in place, by
            // the same expression over the same buffer as a contiguous input.
            const T* px = py;
            if (is_strided(x))
                gather_into(x, py);
            else
                px = x.value().data();
            parallel_for_elements(py, x.size(), [&](std::size_t begin, std::size_t end) {
                const std::array<std::size_t, 1> flat{end - begin};
                auto in = xt::adapt(px + begin, end - begin, xt::no_ownership(), flat);
                auto out = xt::adapt(py + begin, end - begin, xt::no_ownership(), flat);
                xt::noalias(out) = def.value(in);  // elementwise: out may be in itself
            });
            return y;
        }
    }
    return map(x, [&def](T v) { return T(def.value(v)); });
}

/// Whether a unary definition asks for its backward to be vectorized too
/// (`static constexpr bool vectorized_grad = true;`: grad() compiles on xtensor
/// expressions). Worth it where the derivative calls costly functions (gelu: erfc and exp).
template <class Def, class = void>
struct has_vectorized_grad : std::false_type {};
template <class Def>
struct has_vectorized_grad<Def, std::void_t<decltype(Def::vectorized_grad)>>
    : std::bool_constant<Def::vectorized_grad> {};

/// dx = def.grad(g, s) as one xsimd-vectorized xtensor expression over the flat values,
/// written over g where the sweep allows (reusable_grad), handed to input 0.
template <class T, class Def>
void add_vectorized_grad(BackwardContext<T>& c, const Tensor<T>& s, const Def& def) {
    Tensor<T> out = c.reusable_grad();
    const T* pg = c.grad().value().data();
    const T* ps = s.value().data();
    T* po = out.node()->value.data();
    parallel_for_elements(po, s.size(), [&](std::size_t begin, std::size_t end) {
        const std::array<std::size_t, 1> flat{end - begin};
        auto g = xt::adapt(pg + begin, end - begin, xt::no_ownership(), flat);
        auto sv = xt::adapt(ps + begin, end - begin, xt::no_ownership(), flat);
        auto o = xt::adapt(po + begin, end - begin, xt::no_ownership(), flat);
        xt::noalias(o) = def.grad(g, sv);  // elementwise: o may be g itself
    });
    c.add(0, out);
}

/// The op y = def.value(x), recorded with the backward dx = def.grad(g, s): fused into
/// one loop (add_pointwise_grad, or add_vectorized_grad) when the sweep does not record,
/// made of tapegrad ops when it does.
template <class T, class Def>
Tensor<T> unary(const Tensor<T>& x, const Def& def) {
    Tensor<T> y = unary_value(x, def);
    const Tensor<T>& saved = Def::saves == Saves::output ? y : x;
    record(def.name, {x}, y, {saved}, [def](BackwardContext<T>& c) {
        if (c.create_graph())
            c.add(0, def.grad(c.grad(), c.saved(0)));
        else {
            if constexpr (has_vectorized_grad<Def>::value) {
                if (c.saved(0).size() >= kVectorizedMinSize) {
                    add_vectorized_grad(c, c.saved(0), def);
                    return;
                }
            }
            add_pointwise_grad(c, c.saved(0), [&def](T g, T s) { return T(def.grad(g, s)); });
        }
    });
    return y;
}

/// The op y = def.value(a, b) with numpy broadcasting, recorded with the backward
/// da = sum_to(def.grad_a(g, a, b)), db likewise: fused (add_pointwise_grads) when the
/// sweep does not record and a and b have one shape, made of tapegrad ops otherwise.
template <class T, class Def>
Tensor<T> binary(const Tensor<T>& a, const Tensor<T>& b, const Def& def) {
    Tensor<T> y = broadcast_map(def.name, a, b, [&def](T u, T v) { return T(def.value(u, v)); });
    record(def.name, {a, b}, y, {a, b}, [def](BackwardContext<T>& c) {
        const Tensor<T>& a = c.saved(0);
        const Tensor<T>& b = c.saved(1);
        if (!c.create_graph() && c.input_shape(0) == c.input_shape(1)) {
            add_pointwise_grads(
                c, a, b, [&def](T g, T u, T v) { return T(def.grad_a(g, u, v)); },
                [&def](T g, T u, T v) { return T(def.grad_b(g, u, v)); });
            return;
        }
        if (c.needs(0)) c.add(0, sum_to(def.grad_a(c.grad(), a, b), c.input_shape(0)));
        if (c.needs(1)) c.add(1, sum_to(def.grad_b(c.grad(), a, b), c.input_shape(1)));
    });
    return y;
}

}  // namespace detail
}  // namespace tg
