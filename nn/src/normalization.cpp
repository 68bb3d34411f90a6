#include <tapegrad/check.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/nn/normalization.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/ops/dropout.hpp>
#include <tapegrad/ops/factory.hpp>
#include <tapegrad/ops/normalization.hpp>

#include <string>

namespace tg::nn {

// ---- LayerNorm -------------------------------------------------------------------------

template <class T>
LayerNorm<T>::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : shape_(std::move(normalized_shape)), eps_(eps), affine_(elementwise_affine) {
    TG_CHECK(!shape_.empty(), ValueError, "LayerNorm: normalized_shape needs at least one axis");
    reset();
}

template <class T>
void LayerNorm<T>::reset() {
    if (!affine_) return;
    weight_ = this->register_parameter("weight", ones<T>(shape_, true));
    bias_ = this->register_parameter("bias", zeros<T>(shape_, true));
}

template <class T>
Tensor<T> LayerNorm<T>::forward(const Tensor<T>& x) {
    return layer_norm(x, shape_, weight_, bias_, eps_);
}

template <class T>
std::string LayerNorm<T>::describe() const {
    return "LayerNorm(" + shape_str(shape_) + ")";
}

// ---- BatchNorm -------------------------------------------------------------------------

template <class T>
BatchNorm<T>::BatchNorm(std::size_t num_features, int spatial_dims, double eps,
                        std::optional<double> momentum, bool affine, bool track_running_stats)
    : features_(num_features),
      spatial_dims_(spatial_dims),
      eps_(eps),
      momentum_(momentum),
      affine_(affine),
      track_(track_running_stats) {
    TG_CHECK(num_features > 0, ValueError, describe(), ": num_features must be at least 1");
    reset();
}

template <class T>
void BatchNorm<T>::reset() {
    const Shape c{features_};
    if (affine_) {
        weight_ = this->register_parameter("weight", ones<T>(c, true));
        bias_ = this->register_parameter("bias", zeros<T>(c, true));
    }
    if (track_) {
        running_mean_ = this->register_buffer("running_mean", zeros<T>(c));
        running_var_ = this->register_buffer("running_var", ones<T>(c));
        num_batches_tracked_ = this->register_buffer("num_batches_tracked", zeros<T>({}));
    }
}

template <class T>
Tensor<T> BatchNorm<T>::forward(const Tensor<T>& x) {
    const bool ranks_ok = spatial_dims_ == 1 ? (x.dim() == 2 || x.dim() == 3) : x.dim() == 4;
    const std::string c = std::to_string(features_);
    TG_CHECK(ranks_ok && x.shape()[1] == features_, ShapeError, describe(), " expects input ",
             spatial_dims_ == 1 ? "(N, " + c + ") or (N, " + c + ", L)" : "(N, " + c + ", H, W)",
             "; got ", x.shape());
    // Without running statistics, eval mode normalizes with the batch's too (as PyTorch).
    const bool use_batch = this->is_training() || !track_;
    double momentum = momentum_.value_or(0.0);
    // Under DataParallel the statistics are the whole batch's on every worker (batch_norm
    // sums them over the workers), and worker 0 alone updates the buffers; the others
    // neither read nor write them (docs/threads.md).
    if (this->is_training() && !is_primary_worker())
        return batch_norm(x, Tensor<T>(), Tensor<T>(), weight_, bias_, true, momentum, eps_);
    if (this->is_training() && track_) {
        // Counted before the update, as PyTorch: momentum=None averages all batches so far.
        const T batches = num_batches_tracked_.value()() + T(1);
        if (!momentum_) momentum = 1.0 / static_cast<double>(batches);
        Tensor<T> y =
            batch_norm(x, running_mean_, running_var_, weight_, bias_, true, momentum, eps_);
        num_batches_tracked_.assign(Array<T>(batches));
        return y;
    }
    return batch_norm(x, running_mean_, running_var_, weight_, bias_, use_batch, momentum, eps_);
}

template <class T>
std::string BatchNorm<T>::describe() const {
    return "BatchNorm" + std::to_string(spatial_dims_) + "d(" + std::to_string(features_) +
           (momentum_ ? "" : ", momentum=None") + ")";
}

// ---- Dropout ---------------------------------------------------------------------------

template <class T>
Dropout<T>::Dropout(double p, Rng* rng) : p_(p), rng_(rng) {
    TG_CHECK(p >= 0 && p <= 1, ValueError, "Dropout(p=", repr(p), "): p must be in [0, 1]");
}

template <class T>
Tensor<T> Dropout<T>::forward(const Tensor<T>& x) {
    return dropout(x, p_, rng_ ? *rng_ : default_rng(), this->is_training());
}

template <class T>
std::string Dropout<T>::describe() const {
    // PyTorch's repr; tapegrad's dropout is never in place.
    return "Dropout(p=" + repr(p_) + ", inplace=" + repr(false) + ")";
}

template class LayerNorm<float>;
template class LayerNorm<double>;
template class BatchNorm<float>;
template class BatchNorm<double>;
template class Dropout<float>;
template class Dropout<double>;

}  // namespace tg::nn
