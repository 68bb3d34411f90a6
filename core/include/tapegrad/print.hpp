#pragma once
// Printing a tensor as numpy prints an array (and PyTorch a tensor):
//
//     std::cout << tg::Tensor<>{{1, 2.5}, {3, 4}};
//     tensor([[1. , 2.5],
//             [3. , 4. ]])
//
// numpy's rules (np.set_printoptions defaults): a common format for all elements; fixed
// notation with the fewest decimals (at most 8) that show every element, trailing zeros
// turned into spaces so the points line up; scientific notation when the largest
// magnitude is 1e8 or more, the smallest nonzero one under 1e-4, or their ratio over
// 1000; rows wrapped at 75 characters; for more than 1,000 elements only the first and
// last 3 along each axis, with "...". After the values: ", dtype=float32" for float
// tensors, ", requires_grad=True" for those that want a gradient. An index tensor
// (Tensor<std::int64_t>) prints its whole numbers right-aligned, as torch prints int64:
// tensor([[  1, -20], [300,   4]]) (one row a line).

#include <tapegrad/tensor.hpp>

#include <iosfwd>
#include <string>

namespace tg {

/// The text operator<< prints.
template <class T>
std::string to_string(const Tensor<T>& t);

/// Writes to_string(t).
template <class T>
std::ostream& operator<<(std::ostream& out, const Tensor<T>& t);

}  // namespace tg
