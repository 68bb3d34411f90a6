#pragma once
// tg::detail::NoDeduce<T>: T in a place where a template argument is not deduced (C++20's
// std::type_identity_t). A parameter of this type takes any argument that converts to T,
// and T comes from the other arguments or the template's default:
//
//     template <class T = double> Tensor<T> full(const Shape&, NoDeduce<T> value);
//     tg::full({2, 3}, 1)          // double, the int converts
//     tg::hessian(lambda, x)       // T from x; the lambda converts to std::function

namespace tg::detail {

template <class T>
struct NoDeduceImpl {
    using type = T;
};
template <class T>
using NoDeduce = typename NoDeduceImpl<T>::type;

}  // namespace tg::detail
