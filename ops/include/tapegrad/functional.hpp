#pragma once
// Derivatives as functions, built on tape.gradient with create_graph:
// vjp, jvp, jacobian, hessian and hvp (Hessian-vector product without the Hessian).
//
// Each helper evaluates f at a copy of x's values on a tape of its own, so the result
// does not depend on (nor record on) any tape of the caller. f is anything callable
// (a lambda, a function, a std::function); the element type comes from x:
//
//     auto f = [](const tg::Tensor<>& x) { return tg::sum(x * x * x); };
//     tg::Tensor<> H = tg::hessian(f, x);           // 6 x on the diagonal
//     auto [loss, grads] = tg::value_and_grad(g, {w, b});

#include <tapegrad/detail/no_deduce.hpp>
#include <tapegrad/tensor.hpp>

#include <functional>
#include <initializer_list>
#include <utility>
#include <vector>

namespace tg {

/// A function of one tensor (what jacobian, hessian and hvp differentiate).
template <class T>
using UnaryFunction = std::function<Tensor<T>(const Tensor<T>&)>;
/// A function of several tensors, for value_and_grad.
template <class T>
using ListFunction = std::function<Tensor<T>(const std::vector<Tensor<T>>&)>;

/// A function argument whose type does not take part in deduction (T comes from x).
template <class T>
using Function = detail::NoDeduce<UnaryFunction<T>>;

/// (f(x), vᵀ J): the vector-Jacobian product, one reverse sweep. v has f(x)'s shape.
template <class T>
std::pair<Tensor<T>, Tensor<T>> vjp(const Function<T>& f, const Tensor<T>& x, const Tensor<T>& v);

/// (f(x), J t): the Jacobian-vector product, by the double-vjp trick: with a dummy
/// cotangent u, g(u) = Jᵀ u is linear in u, so d<g(u), t>/du = J t. Two reverse sweeps.
/// t has x's shape.
template <class T>
std::pair<Tensor<T>, Tensor<T>> jvp(const Function<T>& f, const Tensor<T>& x, const Tensor<T>& t);

/// J = d f(x) / d x, of shape shape(f(x)) + shape(x): one sweep per output element
/// (for small outputs).
template <class T>
Tensor<T> jacobian(const Function<T>& f, const Tensor<T>& x);

/// H = d² f(x) / d x² for a scalar f, of shape shape(x) + shape(x): one sweep per
/// element of x (for small inputs).
template <class T>
Tensor<T> hessian(const Function<T>& f, const Tensor<T>& x);

/// H v for a scalar f without forming H: d<∇f(x), v>/dx, two reverse sweeps.
template <class T>
Tensor<T> hvp(const Function<T>& f, const Tensor<T>& x, const Tensor<T>& v);

/// ∇f(x) for a scalar (one-element) f, of x's shape: one reverse sweep (torch.func.grad).
template <class T>
Tensor<T> grad(const Function<T>& f, const Tensor<T>& x);

/// (f(xs), [∂f/∂x for x in xs]) for a scalar f of several tensors, one reverse sweep
/// (jax.value_and_grad over a list of arguments). The value is detached.
template <class T>
std::pair<Tensor<T>, std::vector<Tensor<T>>> value_and_grad(
    const detail::NoDeduce<ListFunction<T>>& f, const std::vector<Tensor<T>>& xs);
/// The same with a braced list: `tg::value_and_grad(f, {w, b})`.
template <class T>
std::pair<Tensor<T>, std::vector<Tensor<T>>> value_and_grad(
    const detail::NoDeduce<ListFunction<T>>& f, std::initializer_list<Tensor<T>> xs) {
    return value_and_grad<T>(f, std::vector<Tensor<T>>(xs));
}

}  // namespace tg
