#pragma once
// add, sub, mul, div, neg, and the operators + - * / on tensors and scalars, with numpy
// broadcasting. Gradients of broadcast inputs are reduced back to their shapes (sum_to).

#include <tapegrad/tensor.hpp>

namespace tg {

/// a + b.            d/da = 1, d/db = 1
template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b);
/// a - b = a + (-b)  (composite)
template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b);
/// a ⊙ b.            d/da = b, d/db = a
template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b);
/// a / b = a ⊙ b⁻¹   (composite, through pow)
template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b);
/// -a.               d/da = -1
template <class T>
Tensor<T> neg(const Tensor<T>& a);

/// a + b: tg::add.
template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) {
    return add(a, b);
}
/// a − b: tg::sub.
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) {
    return sub(a, b);
}
/// a ⊙ b: tg::mul.
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) {
    return mul(a, b);
}
/// a / b: tg::div.
template <class T>
Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) {
    return div(a, b);
}
/// −a: tg::neg.
template <class T>
Tensor<T> operator-(const Tensor<T>& a) {
    return neg(a);
}

// Scalars become 0-d constants and broadcast.
/// a + s, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator+(const Tensor<T>& a, detail::scalar_t<T> s) {
    return add(a, Tensor<T>(s));
}
/// s + a, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator+(detail::scalar_t<T> s, const Tensor<T>& a) {
    return add(Tensor<T>(s), a);
}
/// a − s, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator-(const Tensor<T>& a, detail::scalar_t<T> s) {
    return add(a, Tensor<T>(-s));
}
/// s − a, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator-(detail::scalar_t<T> s, const Tensor<T>& a) {
    return sub(Tensor<T>(s), a);
}
/// a · s, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator*(const Tensor<T>& a, detail::scalar_t<T> s) {
    return mul(a, Tensor<T>(s));
}
/// s · a, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator*(detail::scalar_t<T> s, const Tensor<T>& a) {
    return mul(Tensor<T>(s), a);
}
/// a / s, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator/(const Tensor<T>& a, detail::scalar_t<T> s) {
    return mul(a, Tensor<T>(T(1) / s));
}
/// s / a, the scalar as a 0-d constant.
template <class T>
Tensor<T> operator/(detail::scalar_t<T> s, const Tensor<T>& a) {
    return div(Tensor<T>(s), a);
}

}  // namespace tg
