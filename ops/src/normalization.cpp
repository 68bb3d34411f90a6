#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/normalization.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>

#include <algorithm>
#include <string>

namespace tg {
namespace {

/// (x − μ) / √(σ² + eps) over `axes`, with μ = mean(x) and σ² = mean((x − μ)²) (biased)
/// kept as axes of size 1, all recorded ops; μ and σ² are kept for batch_norm's running
/// statistics.
template <class T>
struct Normalized {
    Tensor<T> y, mean, variance;
};

template <class T>
Normalized<T> normalize(const Tensor<T>& x, const Axes& axes, double eps) {
    Tensor<T> mu = mean(x, axes, true);
    Tensor<T> centered = x - mu;
    Tensor<T> variance = mean(square(centered), axes, true);
    return {centered * pow(variance + static_cast<T>(eps), T(-0.5)), mu, variance};
}

/// t viewed in `shape` (a reshape, recorded only when the shapes differ).
template <class T>
Tensor<T> viewed_as(const Tensor<T>& t, const Shape& shape) {
    return t.shape() == shape ? t : reshape(t, shape);
}

/// y ⊙ weight + bias, each only when defined, both viewed in `shape`.
template <class T>
Tensor<T> scale_and_shift(Tensor<T> y, const Tensor<T>& weight, const Tensor<T>& bias,
                          const Shape& shape) {
    if (weight.defined()) y = y * viewed_as(weight, shape);
    if (bias.defined()) y = y + viewed_as(bias, shape);
    return y;
}

/// A ShapeError unless the optional tensor `t` is undefined or of `shape`.
template <class T>
void check_optional(const char* op, const char* what, const Tensor<T>& t, const Shape& shape) {
    if (t.defined() && t.shape() != shape)
        throw ShapeError(std::string(op) + ": " + what + " must have shape " + shape_str(shape) +
                         "; got " + shape_str(t.shape()));
}

/// stat ← (1 − momentum)·stat + momentum·factor·batch, per element: a plain loop on the
/// values of the leaf `stat`, never recorded (as PyTorch's running statistics).
template <class T>
void update_running(Tensor<T> stat, const Tensor<T>& batch, double momentum, double factor) {
    Array<T>& r = stat.mutable_value();
    const T* b = batch.value().data();
    for (std::size_t c = 0; c < r.size(); ++c)
        r.data()[c] = static_cast<T>(momentum * (static_cast<double>(b[c]) * factor) +
                                     (1 - momentum) * static_cast<double>(r.data()[c]));
}

}  // namespace

template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const Tensor<T>& weight,
                     const Tensor<T>& bias, double eps) {
    const Shape s = x.shape();
    const std::size_t r = normalized_shape.size();
    if (r == 0 || r > s.size() ||
        !std::equal(normalized_shape.begin(), normalized_shape.end(), s.end() - r))
        throw ShapeError("layer_norm: normalized_shape " + shape_str(normalized_shape) +
                         " must be the last axes of x (at least one); got x of shape " +
                         shape_str(s));
    check_optional("layer_norm", "weight", weight, normalized_shape);
    check_optional("layer_norm", "bias", bias, normalized_shape);
    Axes axes;
    for (std::size_t d = s.size() - r; d < s.size(); ++d) axes.push_back(static_cast<long>(d));
    return scale_and_shift(normalize(x, axes, eps).y, weight, bias, normalized_shape);
}

template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& running_mean,
                     const Tensor<T>& running_var, const Tensor<T>& weight, const Tensor<T>& bias,
                     bool training, double momentum, double eps) {
    const Shape s = x.shape();
    if (s.size() < 2 || s.size() > 4)
        throw ShapeError("batch_norm: needs x of shape (N, C), (N, C, L) or (N, C, H, W); got " +
                         shape_str(s));
    const Shape channels{s[1]};
    check_optional("batch_norm", "running_mean", running_mean, channels);
    check_optional("batch_norm", "running_var", running_var, channels);
    check_optional("batch_norm", "weight", weight, channels);
    check_optional("batch_norm", "bias", bias, channels);
    const bool running = running_mean.defined();
    if (running != running_var.defined())
        throw ValueError(std::string("batch_norm: give running_mean and running_var both or "
                                     "neither; got only ") +
                         (running ? "running_mean" : "running_var"));
    // Per-channel tensors as (C, 1, ...): they broadcast against x along axis 1.
    Shape stat_shape = channels;
    for (std::size_t d = 2; d < s.size(); ++d) stat_shape.push_back(1);

    if (!training) {
        if (!running)
            throw ValueError("batch_norm: eval mode (training = false) normalizes with "
                             "running_mean and running_var; got neither (pass them, or train)");
        const Tensor<T> y = (x - viewed_as(running_mean, stat_shape)) *
                            pow(viewed_as(running_var, stat_shape) + static_cast<T>(eps), T(-0.5));
        return scale_and_shift(y, weight, bias, stat_shape);
    }

    std::size_t n = s[0];  // values per channel
    for (std::size_t d = 2; d < s.size(); ++d) n *= s[d];
    if (n <= 1)
        throw ValueError("batch_norm: training needs more than 1 value per channel (for a batch "
                         "variance); got x of shape " +
                         shape_str(s));
    if (running && (!running_mean.is_leaf() || !running_var.is_leaf()))
        throw GraphError("batch_norm: running_mean and running_var are updated in place, so they "
                         "must be leaves, not results of recorded ops (detach() them)");
    Axes axes{0};
    for (std::size_t d = 2; d < s.size(); ++d) axes.push_back(static_cast<long>(d));
    const Normalized<T> z = normalize(x, axes, eps);
    if (running) {
        update_running(running_mean, z.mean, momentum, 1.0);
        const double count = static_cast<double>(n);
        update_running(running_var, z.variance, momentum, count / (count - 1));
    }
    return scale_and_shift(z.y, weight, bias, stat_shape);
}

#define TG_INSTANTIATE(T)                                                                      \
    template Tensor<T> layer_norm(const Tensor<T>&, const Shape&, const Tensor<T>&,            \
                                  const Tensor<T>&, double);                                   \
    template Tensor<T> batch_norm(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,        \
                                  const Tensor<T>&, const Tensor<T>&, bool, double, double);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
