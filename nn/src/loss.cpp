#include <tapegrad/nn/loss.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>

namespace tg::nn {
namespace {

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

}  // namespace

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

template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& targets) {
    const Shape s = logits.shape();
    if (s.size() != 2 || s[0] != targets.size() || s[0] == 0 || s[1] == 0)
        throw ShapeError("cross_entropy: logits of shape " + shape_str(s) + " with " +
                         std::to_string(targets.size()) +
                         " targets; pass logits (N, C) with N >= 1, C >= 1 and one class index "
                         "per row (N targets)");
    const std::size_t n = s[0], classes = s[1];
    // −(1/N) Σ_n log p_{n, t_n} as a masked sum: the one-hot mask is a constant.
    Array<T> mask(s, T(0));
    for (std::size_t i = 0; i < n; ++i) {
        if (targets[i] >= classes)
            throw ValueError("cross_entropy: target " + std::to_string(i) + " is class " +
                             std::to_string(targets[i]) + " but the logits have " +
                             std::to_string(classes) + " classes; class indices must be in [0, " +
                             std::to_string(classes) + ")");
        mask(i, targets[i]) = T(-1) / T(n);
    }
    return sum(log_softmax(logits, 1) * Tensor<T>(std::move(mask)));
}

#define TG_NN_LOSS_INSTANTIATE(T)                                                   \
    template Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&);             \
    template Tensor<T> rmse<T>(const Tensor<T>&, const Tensor<T>&);                 \
    template Tensor<T> half_sse_per_example<T>(const Tensor<T>&, const Tensor<T>&); \
    template Tensor<T> cross_entropy<T>(const Tensor<T>&, const std::vector<std::size_t>&);
TG_NN_LOSS_INSTANTIATE(float)
TG_NN_LOSS_INSTANTIATE(double)

}  // namespace tg::nn
