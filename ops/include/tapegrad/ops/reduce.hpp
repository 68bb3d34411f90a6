#pragma once
// Reductions with PyTorch's names and meanings: sum and mean (over everything or over
// axes, keepdims), max and min over everything or over one axis, argmax / argmin, logsumexp, var / std, prod,
// cumsum and norm. Each differentiable one is one recorded op or built from recorded ops
// (cumsum's backward is made of recorded ops), so create_graph works. Axes may be negative
// (counted from the end).

#include <tapegrad/tensor.hpp>

#include <cstdint>
#include <limits>

namespace tg {

/// Σ x over every element: a 0-d tensor.       d/dx = g broadcast to shape(x)
template <class T>
Tensor<T> sum(const Tensor<T>& x);
/// Σ x over `axes` (removed, or kept with size 1 when keepdims).
template <class T>
Tensor<T> sum(const Tensor<T>& x, const Axes& axes, bool keepdims = false);
/// The mean over every element: a 0-d tensor.  d/dx = g / size(x)
template <class T>
Tensor<T> mean(const Tensor<T>& x);
/// The mean over `axes`.                       d/dx = g / (product of the reduced sizes)
template <class T>
Tensor<T> mean(const Tensor<T>& x, const Axes& axes, bool keepdims = false);
/// The largest of all elements, a 0-d tensor, NaN when one is NaN (torch.max(x)); an empty
/// x is a tg::ValueError. The gradient is split equally among the elements equal to the
/// maximum (among the NaNs when it is NaN), as PyTorch's evenly_distribute_backward:
///     d/dx = g · [x = y] / #{x = y}
template <class T>
Tensor<T> max(const Tensor<T>& x);
/// The smallest of all elements (torch.min(x)): −max(−x), so ties share the gradient.
template <class T>
Tensor<T> min(const Tensor<T>& x);
/// The largest value along `axis`, NaN where the axis holds a NaN (torch.max(x, dim)). The
/// gradient goes to the first maximal element, or to the first NaN.
template <class T>
Tensor<T> max(const Tensor<T>& x, long axis, bool keepdims = false);

/// The smallest value along `axis`, NaN where the axis holds one; the gradient goes to the
/// first minimal element or the first NaN (−max(−x), as max sends it).
template <class T>
Tensor<T> min(const Tensor<T>& x, long axis, bool keepdims = false);

/// The position of the first largest value along `axis` (a NaN counts as the largest),
/// as a Tensor<std::int64_t>, PyTorch's type: an index tensor, which gather, index_select
/// and the class losses take. Not differentiable: it never requires a gradient.
/// (Until tapegrad had index tensors this returned whole numbers in a tensor of x's type;
/// `tg::to_floating<T>(argmax(x, axis))` gives that.)
template <class T>
Tensor<std::int64_t> argmax(const Tensor<T>& x, long axis, bool keepdims = false);
/// The position of the first smallest value along `axis` (as argmax).
template <class T>
Tensor<std::int64_t> argmin(const Tensor<T>& x, long axis, bool keepdims = false);
/// The row-major position of the first largest element of x (a NaN counts as the
/// largest), as a 0-d Tensor<std::int64_t>: torch.argmax(x) without a dim, the argmax of
/// x flattened. tg::ValueError for an empty tensor.
template <class T>
Tensor<std::int64_t> argmax(const Tensor<T>& x);
/// The row-major position of the first smallest element of x (as argmax(x)).
template <class T>
Tensor<std::int64_t> argmin(const Tensor<T>& x);

/// log Σ exp(x) over `axes`, computed stably as m + log Σ exp(x − m) with m the (unrecorded)
/// maximum; an all −inf slice gives −inf.  d/dx = softmax over the axes.
template <class T>
Tensor<T> logsumexp(const Tensor<T>& x, const Axes& axes, bool keepdims = false);

/// Σ (x − mean)² / (N − correction) over `axes`, N the number of reduced elements
/// (torch.var: correction 1 is Bessel's, 0 the population variance). N ≤ correction
/// divides by zero, giving inf or nan as in PyTorch.
template <class T>
Tensor<T> var(const Tensor<T>& x, const Axes& axes, long correction = 1, bool keepdims = false);
/// √var. Its gradient at a zero variance is infinite (PyTorch gives nan there).
template <class T>
Tensor<T> std(const Tensor<T>& x, const Axes& axes, long correction = 1, bool keepdims = false);

/// The product along `axis`, as a balanced tree of recorded multiplications of the
/// slices, so zeros are handled exactly (the gradient of a product with one zero is the
/// product of the others at that zero) at every order. Cost: one op per slice.
template <class T>
Tensor<T> prod(const Tensor<T>& x, long axis, bool keepdims = false);

/// Running sums along `axis`: y_i = Σ_{j ≤ i} x_j.  d/dx = the running sums of g taken
/// from the end (flip, cumsum, flip).
template <class T>
Tensor<T> cumsum(const Tensor<T>& x, long axis);

/// The p-norm of all elements, a 0-d tensor: vector_norm(x, p) (0 for an empty x).
template <class T>
Tensor<T> norm(const Tensor<T>& x, double p = 2);

/// The vector p-norm over `axes` (all when empty), removed or kept with size 1
/// (torch.norm(x, p, dim, keepdim)): vector_norm(x, p, axes, keepdim).
template <class T>
Tensor<T> norm(const Tensor<T>& x, double p, const Axes& axes, bool keepdim = false);

/// torch.linalg.vector_norm(x, ord, dim, keepdim) over the axes `dim` (all when empty):
///     ord = 2: √Σ x²    ord = 1: Σ |x|    other finite ord ≠ 0: (Σ |x|^ord)^(1/ord)
///     ord = ∞: max |x|  ord = −∞: min |x|  ord = 0: the number of nonzero entries
/// ±∞ send the gradient in equal parts to every entry where |x| is the extreme (PyTorch's
/// backward); ord 0 has gradient 0; the others are one entry ("vector_norm") whose
/// gradient is 0 where the norm is 0, as PyTorch's. A NaN ord is a tg::ValueError.
template <class T>
Tensor<T> vector_norm(const Tensor<T>& x, double ord = 2, const Axes& dim = {},
                      bool keepdim = false);

}  // namespace tg
