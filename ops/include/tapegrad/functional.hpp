#pragma once
// Derivatives as functions, built on tape.gradient with create_graph:
// vjp, jvp, jacobian, hessian and hvp (Hessian-vector product without the Hessian).
//
// Each helper evaluates f at a copy of x's values on a tape of its own, so the result
// does not depend on (nor record on) any tape of the caller.

#include <tapegrad/tensor.hpp>

#include <functional>
#include <utility>

namespace tg {

/// A function of one tensor (what jacobian, hessian and hvp differentiate).
template <class T>
using UnaryFunction = std::function<Tensor<T>(const Tensor<T>&)>;

/// (f(x), vᵀ J): the vector-Jacobian product, one reverse sweep. v has f(x)'s shape.
template <class T>
std::pair<Tensor<T>, Tensor<T>> vjp(const UnaryFunction<T>& f, const Tensor<T>& x,
                                    const Tensor<T>& v);

/// (f(x), J t): the Jacobian-vector product, by the double-vjp trick: with a dummy
/// cotangent u, g(u) = Jᵀ u is linear in u, so d<g(u), t>/du = J t. Two reverse sweeps.
/// t has x's shape.
template <class T>
std::pair<Tensor<T>, Tensor<T>> jvp(const UnaryFunction<T>& f, const Tensor<T>& x,
                                    const Tensor<T>& t);

/// J = d f(x) / d x, of shape shape(f(x)) + shape(x): one sweep per output element
/// (for small outputs).
template <class T>
Tensor<T> jacobian(const UnaryFunction<T>& f, const Tensor<T>& x);

/// H = d² f(x) / d x² for a scalar f, of shape shape(x) + shape(x): one sweep per
/// element of x (for small inputs).
template <class T>
Tensor<T> hessian(const UnaryFunction<T>& f, const Tensor<T>& x);

/// H v for a scalar f without forming H: d<∇f(x), v>/dx, two reverse sweeps.
template <class T>
Tensor<T> hvp(const UnaryFunction<T>& f, const Tensor<T>& x, const Tensor<T>& v);

}  // namespace tg
