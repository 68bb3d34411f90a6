#pragma once
// Selection and masks: where, masked_fill, and the comparisons gt, lt, ge, le, eq, ne
// (also as the operators > < >= <= == !=, and with a number for b), which
// return 0/1 tensors of x's type (tapegrad has no bool tensors; 1 is true). All follow
// numpy broadcasting. The comparisons are not differentiable: their results are never
// recorded and do not require a gradient.

#include <tapegrad/tensor.hpp>

namespace tg {

/// cond ? a : b elementwise (cond nonzero picks a), cond, a and b broadcast together
/// (torch.where). An element of the branch not taken never reaches the result or its
/// gradient, so an inf or nan there is harmless.
/// d/da = sum_to(where(cond, g, 0)), d/db = sum_to(where(cond, 0, g)); cond gets none.
template <class T>
Tensor<T> where(const Tensor<T>& cond, const Tensor<T>& a, const Tensor<T>& b);

/// x with `value` wherever mask is nonzero (mask broadcasts to x's shape).
/// d/dx = g where mask is 0, else 0.
template <class T>
Tensor<T> masked_fill(const Tensor<T>& x, const Tensor<T>& mask, T value);

/// 1 where a > b (a < b, a >= b, a <= b, a == b), else 0; broadcasting.
template <class T>
Tensor<T> gt(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a < b, else 0.
template <class T>
Tensor<T> lt(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a >= b, else 0.
template <class T>
Tensor<T> ge(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a <= b, else 0.
template <class T>
Tensor<T> le(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a == b, else 0 (a nan equals nothing).
template <class T>
Tensor<T> eq(const Tensor<T>& a, const Tensor<T>& b);
/// 1 where a != b, else 0 (a nan differs from everything, itself included).
template <class T>
Tensor<T> ne(const Tensor<T>& a, const Tensor<T>& b);

// A number as the second argument (torch.gt(x, 0.5)) is a 0-d constant that broadcasts.
/// gt(a, b) with the number b.
template <class T>
Tensor<T> gt(const Tensor<T>& a, detail::scalar_t<T> b) {
    return gt(a, Tensor<T>(b));
}
/// lt(a, b) with the number b.
template <class T>
Tensor<T> lt(const Tensor<T>& a, detail::scalar_t<T> b) {
    return lt(a, Tensor<T>(b));
}
/// ge(a, b) with the number b.
template <class T>
Tensor<T> ge(const Tensor<T>& a, detail::scalar_t<T> b) {
    return ge(a, Tensor<T>(b));
}
/// le(a, b) with the number b.
template <class T>
Tensor<T> le(const Tensor<T>& a, detail::scalar_t<T> b) {
    return le(a, Tensor<T>(b));
}
/// eq(a, b) with the number b.
template <class T>
Tensor<T> eq(const Tensor<T>& a, detail::scalar_t<T> b) {
    return eq(a, Tensor<T>(b));
}
/// ne(a, b) with the number b.
template <class T>
Tensor<T> ne(const Tensor<T>& a, detail::scalar_t<T> b) {
    return ne(a, Tensor<T>(b));
}

// The comparison operators give the masks above, as PyTorch's do (`x > y`, `x == 0`,
// `0.5 < x`); a number on either side is a 0-d constant. They are not differentiable.
/// a > b: tg::gt.
template <class T>
Tensor<T> operator>(const Tensor<T>& a, const Tensor<T>& b) {
    return gt(a, b);
}
/// a < b: tg::lt.
template <class T>
Tensor<T> operator<(const Tensor<T>& a, const Tensor<T>& b) {
    return lt(a, b);
}
/// a >= b: tg::ge.
template <class T>
Tensor<T> operator>=(const Tensor<T>& a, const Tensor<T>& b) {
    return ge(a, b);
}
/// a <= b: tg::le.
template <class T>
Tensor<T> operator<=(const Tensor<T>& a, const Tensor<T>& b) {
    return le(a, b);
}
/// a == b: tg::eq, a mask (not a bool: compare handles with Tensor::same).
template <class T>
Tensor<T> operator==(const Tensor<T>& a, const Tensor<T>& b) {
    return eq(a, b);
}
/// a != b: tg::ne.
template <class T>
Tensor<T> operator!=(const Tensor<T>& a, const Tensor<T>& b) {
    return ne(a, b);
}
/// a > s.
template <class T>
Tensor<T> operator>(const Tensor<T>& a, detail::scalar_t<T> s) {
    return gt(a, Tensor<T>(s));
}
/// a < s.
template <class T>
Tensor<T> operator<(const Tensor<T>& a, detail::scalar_t<T> s) {
    return lt(a, Tensor<T>(s));
}
/// a >= s.
template <class T>
Tensor<T> operator>=(const Tensor<T>& a, detail::scalar_t<T> s) {
    return ge(a, Tensor<T>(s));
}
/// a <= s.
template <class T>
Tensor<T> operator<=(const Tensor<T>& a, detail::scalar_t<T> s) {
    return le(a, Tensor<T>(s));
}
/// a == s.
template <class T>
Tensor<T> operator==(const Tensor<T>& a, detail::scalar_t<T> s) {
    return eq(a, Tensor<T>(s));
}
/// a != s.
template <class T>
Tensor<T> operator!=(const Tensor<T>& a, detail::scalar_t<T> s) {
    return ne(a, Tensor<T>(s));
}
/// s > a.
template <class T>
Tensor<T> operator>(detail::scalar_t<T> s, const Tensor<T>& a) {
    return gt(Tensor<T>(s), a);
}
/// s < a.
template <class T>
Tensor<T> operator<(detail::scalar_t<T> s, const Tensor<T>& a) {
    return lt(Tensor<T>(s), a);
}
/// s >= a.
template <class T>
Tensor<T> operator>=(detail::scalar_t<T> s, const Tensor<T>& a) {
    return ge(Tensor<T>(s), a);
}
/// s <= a.
template <class T>
Tensor<T> operator<=(detail::scalar_t<T> s, const Tensor<T>& a) {
    return le(Tensor<T>(s), a);
}
/// s == a.
template <class T>
Tensor<T> operator==(detail::scalar_t<T> s, const Tensor<T>& a) {
    return eq(Tensor<T>(s), a);
}
/// s != a.
template <class T>
Tensor<T> operator!=(detail::scalar_t<T> s, const Tensor<T>& a) {
    return ne(Tensor<T>(s), a);
}

}  // namespace tg
