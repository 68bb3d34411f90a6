#include <tapegrad/check.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/detail/team.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/normalization.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

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

/// The sum of t over the workers of a DataParallel step, elementwise, in worker order (the
/// same bits on every worker). Its adjoint is itself: d/dt_k Σ_j t_j = 1 on every worker,
/// so the backward sums the workers' gradients the same way. `count`, when given, is
/// summed in the same exchange.
template <class T>
Tensor<T> sum_over_workers(const Tensor<T>& t, detail::TeamMember& member,
                           double* count = nullptr) {
    const std::size_t n = t.size();
    std::vector<double> values(t.value().data(), t.value().data() + n);
    if (count) values.push_back(*count);
    member.team->all_sum(member.worker, values.data(), values.data(), values.size(), "batch_norm");
    if (count) *count = values.back();
    Tensor<T> out = Tensor<T>::uninitialized(t.shape());
    std::copy_n(values.begin(), n, out.node()->value.data());
    // The entry is on the worker's own tape, which lives only during the step, so its
    // backward runs in the step, on the same worker.
    record("sum_over_workers", {t}, out, {}, [](BackwardContext<T>& c) {
        const Tensor<T> g = sum_over_workers(c.grad(), *detail::team_member());
        if (c.needs(0)) c.add(0, g);  // (every worker sums, needed or not: all must call)
    });
    return out;
}

/// normalize over the whole batch of a DataParallel step: μ and σ² are sums over every
/// worker's rows (two exchanges), so each worker normalizes as one thread would. `count`
/// holds this worker's values per channel and receives the whole batch's.
template <class T>
Normalized<T> normalize_over_workers(const Tensor<T>& x, const Axes& axes, double eps,
                                     detail::TeamMember& member, double& count) {
    Tensor<T> mu = sum_over_workers(sum(x, axes, true), member, &count);
    // (count is the same on every worker, so every worker stops here)
    TG_CHECK(count > 1, ValueError,
             "batch_norm: training needs more than 1 value per channel (for a batch variance); "
             "the whole batch over the DataParallel workers has ",
             static_cast<std::size_t>(count));
    const T scale = static_cast<T>(1 / count);
    mu = mu * scale;
    Tensor<T> centered = x - mu;
    Tensor<T> variance = sum_over_workers(sum(square(centered), axes, true), member) * scale;
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
    TG_CHECK(!t.defined() || t.shape() == shape, ShapeError, op, ": ", what, " must have shape ",
             shape, "; got ", t.shape());
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

/// Σ_j f(j) over j < n, in kLanes partial sums added at the end: the compiler keeps the
/// partial sums in SIMD registers (no reordering of one sum, so no -ffast-math needed),
/// where a single running sum stays a chain of scalar adds (GPT-2's layer_norm forward
/// took 5 ms a step that way, 1 ms now). A row's sum does not depend on where the row lies.
template <class T, class F>
T lane_sum(std::size_t n, F f) {
    constexpr std::size_t kLanes = 16;
    T lanes[kLanes] = {};
    std::size_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
        for (std::size_t k = 0; k < kLanes; ++k) lanes[k] += f(j + k);
    for (std::size_t k = 0; j < n; ++j, ++k) lanes[k] += f(j);
    T total = 0;
    for (std::size_t k = 0; k < kLanes; ++k) total += lanes[k];
    return total;
}

/// Per row of `width` values: μ, σ² (biased, two passes) and rstd = 1 / √(σ² + eps); then
/// y = (x − μ) · rstd ⊙ weight + bias, each of weight and bias only when given. Rows are
/// independent, so the intra-op threads share them (the same bits on any number).
template <class T>
void layer_norm_rows(const T* x, std::size_t rows, std::size_t width, const T* weight,
                     const T* bias, double eps, T* y, T* mean_out, T* rstd_out) {
    detail::parallel_for(
        rows, detail::rows_per_thread(width), [&](std::size_t first, std::size_t last) {
            for (std::size_t r = first; r < last; ++r) {
                const T* xr = x + r * width;
                T* yr = y + r * width;
                const T mu = lane_sum<T>(width, [&](std::size_t j) { return xr[j]; }) /
                             static_cast<T>(width);
                const T squares =
                    lane_sum<T>(width, [&](std::size_t j) { return (xr[j] - mu) * (xr[j] - mu); });
                const T rstd =
                    T(1) / std::sqrt(squares / static_cast<T>(width) + static_cast<T>(eps));
                for (std::size_t j = 0; j < width; ++j) {
                    T v = (xr[j] - mu) * rstd;
                    if (weight) v *= weight[j];
                    if (bias) v += bias[j];
                    yr[j] = v;
                }
                mean_out[r] = mu;
                rstd_out[r] = rstd;
            }
        });
}

/// The backward of layer_norm_rows, with x̂ = (x − μ) · rstd and ĝ = g ⊙ weight (g without
/// a weight):
///   dx = rstd · (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂))   per row,
///   dweight = Σ_rows g ⊙ x̂,   dbias = Σ_rows g.
/// A null output pointer is not wanted. dx is shared between the intra-op threads by rows;
/// dweight and dbias by columns, each column summed over the rows in row order: the same
/// bits on any number of threads.
template <class T>
void layer_norm_backward_rows(const T* x, const T* g, std::size_t rows, std::size_t width,
                              const T* weight, const T* mean, const T* rstd, T* dx, T* dweight,
                              T* dbias) {
    const T inv_width = T(1) / static_cast<T>(width);
    if (dx)
        detail::parallel_for(
            rows, detail::rows_per_thread(width), [&](std::size_t first, std::size_t last) {
                std::vector<T> xhat(width), ghat(width);
                for (std::size_t r = first; r < last; ++r) {
                    const T* xr = x + r * width;
                    const T* gr = g + r * width;
                    for (std::size_t j = 0; j < width; ++j) {
                        xhat[j] = (xr[j] - mean[r]) * rstd[r];
                        ghat[j] = weight ? gr[j] * weight[j] : gr[j];
                    }
                    const T sum_g = lane_sum<T>(width, [&](std::size_t j) { return ghat[j]; });
                    const T sum_gx =
                        lane_sum<T>(width, [&](std::size_t j) { return ghat[j] * xhat[j]; });
                    T* dxr = dx + r * width;
                    for (std::size_t j = 0; j < width; ++j)
                        dxr[j] =
                            rstd[r] * (ghat[j] - sum_g * inv_width - xhat[j] * sum_gx * inv_width);
                }
            });
    if (!dweight && !dbias) return;
    // Columns [first, last) of every row, rows in order: per column, the sums one pass over
    // the rows would make.
    detail::parallel_for(width, detail::rows_per_thread(rows),
                         [&](std::size_t first, std::size_t last) {
                             if (dweight) std::fill(dweight + first, dweight + last, T(0));
                             if (dbias) std::fill(dbias + first, dbias + last, T(0));
                             for (std::size_t r = 0; r < rows; ++r) {
                                 const T* xr = x + r * width;
                                 const T* gr = g + r * width;
                                 const T mu = mean[r], s = rstd[r];
                                 if (dweight)
                                     for (std::size_t j = first; j < last; ++j)
                                         dweight[j] += gr[j] * ((xr[j] - mu) * s);
                                 if (dbias)
                                     for (std::size_t j = first; j < last; ++j) dbias[j] += gr[j];
                             }
                         });
}

}  // namespace

template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const Tensor<T>& weight,
                     const Tensor<T>& bias, double eps) {
    const Shape s = x.shape();
    const std::size_t r = normalized_shape.size();
    TG_CHECK(r > 0 && r <= s.size() &&
                 std::equal(normalized_shape.begin(), normalized_shape.end(), s.end() - r),
             ShapeError, "layer_norm: normalized_shape ", normalized_shape,
             " must be the last axes of x (at least one); got x of shape ", s);
    check_optional("layer_norm", "weight", weight, normalized_shape);
    check_optional("layer_norm", "bias", bias, normalized_shape);
    std::size_t width = 1;
    for (std::size_t size : normalized_shape) width *= size;
    const std::size_t rows = width ? x.size() / width : 0;
    // One fused op: a pass per row for μ, one for σ², one for y; μ and rstd are kept.
    Tensor<T> y = Tensor<T>::uninitialized(s);
    Tensor<T> stats = Tensor<T>::uninitialized({2, rows});  // μ, then rstd, per row
    T* mu = stats.node()->value.data();
    const bool has_w = weight.defined(), has_b = bias.defined();
    layer_norm_rows(x.value().data(), rows, width, has_w ? weight.value().data() : nullptr,
                    has_b ? bias.value().data() : nullptr, eps, y.node()->value.data(), mu,
                    mu + rows);
    if (!detail::recording_tape()) return y;
    std::vector<Tensor<T>> inputs{x};
    if (has_w) inputs.push_back(weight);
    if (has_b) inputs.push_back(bias);
    // Inputs x, then weight and bias when given; saved x, the statistics, then weight.
    auto backward = [normalized_shape, rows, width, eps, has_w, has_b](BackwardContext<T>& c) {
        const std::size_t iw = 1, ib = has_w ? 2 : 1;
        const Tensor<T>& g = c.grad();
        const Tensor<T>& xs = c.saved(0);
        if (c.create_graph()) {
            // The same formulas with recorded ops, x̂ and rstd recomputed from x, so that
            // they differentiate again.
            Axes axes;
            for (std::size_t a = xs.dim() - normalized_shape.size(); a < xs.dim(); ++a)
                axes.push_back(static_cast<long>(a));
            const Normalized<T> z = normalize(xs, axes, eps);
            const Tensor<T> rstd = pow(z.variance + static_cast<T>(eps), T(-0.5));
            const Tensor<T> ghat = has_w ? g * c.saved(2) : g;
            if (c.needs(0))
                c.add(0,
                      rstd * (ghat - mean(ghat, axes, true) - z.y * mean(ghat * z.y, axes, true)));
            if (has_w && c.needs(iw)) c.add(iw, sum_to(g * z.y, normalized_shape));
            if (has_b && c.needs(ib)) c.add(ib, sum_to(g, normalized_shape));
            return;
        }
        const T* mean_values = c.saved(1).value().data();
        Tensor<T> dx, dw, db;
        if (c.needs(0)) dx = Tensor<T>::uninitialized(c.input_shape(0));
        if (has_w && c.needs(iw)) dw = Tensor<T>::uninitialized(normalized_shape);
        if (has_b && c.needs(ib)) db = Tensor<T>::uninitialized(normalized_shape);
        auto data = [](Tensor<T>& t) { return t.defined() ? t.node()->value.data() : nullptr; };
        layer_norm_backward_rows(xs.value().data(), g.value().data(), rows, width,
                                 has_w ? c.saved(2).value().data() : nullptr, mean_values,
                                 mean_values + rows, data(dx), data(dw), data(db));
        if (dx.defined()) c.add(0, dx);
        if (dw.defined()) c.add(iw, dw);
        if (db.defined()) c.add(ib, db);
    };
    if (has_w)
        record("layer_norm", inputs, y, {x, stats, weight}, backward);
    else
        record("layer_norm", inputs, y, {x, stats}, backward);
    return y;
}

template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& running_mean,
                     const Tensor<T>& running_var, const Tensor<T>& weight, const Tensor<T>& bias,
                     bool training, double momentum, double eps) {
    const Shape s = x.shape();
    TG_CHECK(s.size() >= 2 && s.size() <= 4, ShapeError,
             "batch_norm: needs x of shape (N, C), (N, C, L) or (N, C, H, W); got ", s);
    const Shape channels{s[1]};
    check_optional("batch_norm", "running_mean", running_mean, channels);
    check_optional("batch_norm", "running_var", running_var, channels);
    check_optional("batch_norm", "weight", weight, channels);
    check_optional("batch_norm", "bias", bias, channels);
    const bool running = running_mean.defined();
    TG_CHECK(running == running_var.defined(), ValueError,
             "batch_norm: give running_mean and running_var both or neither; got only ",
             (running ? "running_mean" : "running_var"));
    // Per-channel tensors as (C, 1, ...): they broadcast against x along axis 1.
    Shape stat_shape = channels;
    for (std::size_t d = 2; d < s.size(); ++d) stat_shape.push_back(1);

    if (!training) {
        TG_CHECK(running, ValueError,
                 "batch_norm: eval mode (training = false) normalizes with running_mean and "
                 "running_var; got neither (pass them, or train)");
        const Tensor<T> y = (x - viewed_as(running_mean, stat_shape)) *
                            pow(viewed_as(running_var, stat_shape) + static_cast<T>(eps), T(-0.5));
        return scale_and_shift(y, weight, bias, stat_shape);
    }

    std::size_t n = s[0];  // values per channel
    for (std::size_t d = 2; d < s.size(); ++d) n *= s[d];
    // In a DataParallel step split between workers the statistics are the whole batch's
    // (SyncBatchNorm), and only worker 0 updates the running ones: every worker has the
    // same μ and σ², so one update is the one-thread update (docs/threads.md).
    detail::TeamMember* member = detail::team_member();
    TG_CHECK(n > 1 || member, ValueError,
             "batch_norm: training needs more than 1 value per channel (for a batch variance); "
             "got x of shape ",
             s);
    TG_CHECK(!running || (running_mean.is_leaf() && running_var.is_leaf()), GraphError,
             "batch_norm: running_mean and running_var are updated in place, so they must be "
             "leaves, not results of recorded ops (detach() them)");
    Axes axes{0};
    for (std::size_t d = 2; d < s.size(); ++d) axes.push_back(static_cast<long>(d));
    double count = static_cast<double>(n);
    const Normalized<T> z =
        member ? normalize_over_workers(x, axes, eps, *member, count) : normalize(x, axes, eps);
    if (running && (!member || member->worker == 0)) {
        update_running(running_mean, z.mean, momentum, 1.0);
        update_running(running_var, z.variance, momentum, count / (count - 1));
    }
    return scale_and_shift(z.y, weight, bias, stat_shape);
}

#define TG_INSTANTIATE(T)                                                               \
    template Tensor<T> layer_norm(const Tensor<T>&, const Shape&, const Tensor<T>&,     \
                                  const Tensor<T>&, double);                            \
    template Tensor<T> batch_norm(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, \
                                  const Tensor<T>&, const Tensor<T>&, bool, double, double);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
