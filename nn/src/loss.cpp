#include <tapegrad/nn/loss.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/record.hpp>

#include "loss_checks.hpp"

namespace tg::nn {
using detail::check_same_shape;

template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target) {
    check_same_shape("mse_loss", pred, target);
    return scaled_squared_error(pred, target, T(1) / T(pred.size()), "mse_loss");
}

template <class T>
Tensor<T> rmse(const Tensor<T>& pred, const Tensor<T>& target) {
    check_same_shape("rmse", pred, target);
    return tg::sqrt(mse_loss(pred, target));
}

template <class T>
Tensor<T> half_sse_per_example(const Tensor<T>& pred, const Tensor<T>& target) {
    check_same_shape("half_sse_per_example", pred, target);
    if (pred.dim() == 0)
        throw ShapeError(
            "half_sse_per_example: the prediction is 0-d; it needs examples in rows "
            "(shape (N, ...))");
    const std::size_t n = pred.shape()[0];
    return scaled_squared_error(pred, target, T(1) / T(2 * n), "half_sse_per_example");
}

#define TG_NN_LOSS_INSTANTIATE(T)                                       \
    template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> rmse<T>(const Tensor<T>&, const Tensor<T>&);     \
    template Tensor<T> half_sse_per_example<T>(const Tensor<T>&, const Tensor<T>&);
TG_NN_LOSS_INSTANTIATE(float)
TG_NN_LOSS_INSTANTIATE(double)

}  // namespace tg::nn
