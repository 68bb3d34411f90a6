#pragma once
// Argument checks shared by the losses (loss.cpp, losses.cpp).

#include <tapegrad/tensor.hpp>

#include <string>

namespace tg::nn::detail {

/// tg::ShapeError naming `loss` unless prediction and target have one shape with at
/// least one element.
template <class T>
void check_same_shape(const char* loss, const Tensor<T>& pred, const Tensor<T>& target) {
    const Shape p = pred.shape();
    const Shape t = target.shape();
    if (p != t)
        throw ShapeError(std::string(loss) + ": prediction of shape " + shape_str(p) +
                         " and target of shape " + shape_str(t) +
                         " differ; give both the same shape (reshape the target, e.g. (N) to "
                         "(N, 1))");
    if (pred.size() == 0)
        throw ShapeError(std::string(loss) + ": prediction of shape " + shape_str(p) +
                         " has no elements; a loss needs at least one");
}

}  // namespace tg::nn::detail
