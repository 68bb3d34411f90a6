#pragma once
// Normalization and dropout layers as PyTorch's torch.nn.LayerNorm, BatchNorm1d,
// BatchNorm2d and Dropout: the same arguments, defaults and parameter/buffer names
// ("weight", "bias", "running_mean", "running_var"), so a .npz of PyTorch's state_dict
// loads once its integer "num_batches_tracked" entries are dropped (tapegrad keeps no
// such counter: it is only used by momentum=None, which is not offered). BatchNorm and
// Dropout obey train() / eval().

#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/random.hpp>

#include <cstddef>
#include <optional>

namespace tg::nn {

/// layer_norm over the last axes, of shape normalized_shape, with a learned elementwise
/// weight (ones) and bias (zeros) when elementwise_affine.
template <class T = double>
class LayerNorm : public Cloneable<LayerNorm<T>, T> {
public:
    /// Normalizes the trailing axes of shape `normalized_shape`.
    explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
    /// x with its trailing axes normalized to mean 0 and variance 1, then scaled and shifted.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers weight = 1 and bias = 0 (clone() copies values in).
    void reset() override;

private:
    Shape shape_;
    double eps_;
    bool affine_;
    Tensor<T> weight_, bias_;
};

/// batch_norm over the channel axis 1 of (N, C) or (N, C, L) (BatchNorm1d, rank 3 or 2)
/// or (N, C, H, W) (BatchNorm2d): in training mode with the batch's statistics, updating
/// the buffers running_mean and running_var (momentum, unbiased variance, as PyTorch) and
/// counting the batches in the buffer num_batches_tracked; in eval mode with the buffers.
/// momentum = std::nullopt (PyTorch's momentum=None) makes the running statistics the
/// cumulative average of all batches: the update factor is 1 / num_batches_tracked.
///
/// PyTorch stores num_batches_tracked as int64; tapegrad as T (exact up to 2^24 batches in
/// float), so a .npz of PyTorch's state_dict loads once that entry is converted
/// (`sd[k] = sd[k].astype(numpy.float64)`).
template <class T = double>
class BatchNorm : public Cloneable<BatchNorm<T>, T> {
public:
    /// For inputs of rank 2 or 3 (`spatial_dims` 1: PyTorch's BatchNorm1d) or rank 4
    /// (`spatial_dims` 2: BatchNorm2d).
    BatchNorm(std::size_t num_features, int spatial_dims, double eps = 1e-5,
              std::optional<double> momentum = 0.1, bool affine = true,
              bool track_running_stats = true);
    /// The normalized input.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers weight 1, bias 0, running_mean 0, running_var 1 and num_batches_tracked 0.
    void reset() override;
    /// The running mean (a buffer; undefined without track_running_stats).
    const Tensor<T>& running_mean() const { return running_mean_; }
    /// The running variance (a buffer; undefined without track_running_stats).
    const Tensor<T>& running_var() const { return running_var_; }
    /// The training batches seen (a 0-d buffer; undefined without track_running_stats).
    const Tensor<T>& num_batches_tracked() const { return num_batches_tracked_; }

private:
    std::size_t features_;
    int spatial_dims_;
    double eps_;
    std::optional<double> momentum_;
    bool affine_, track_;
    Tensor<T> weight_, bias_, running_mean_, running_var_, num_batches_tracked_;
};

/// PyTorch's BatchNorm1d: BatchNorm for (N, C) or (N, C, L).
template <class T = double>
class BatchNorm1d : public BatchNorm<T> {
public:
    /// See BatchNorm.
    explicit BatchNorm1d(std::size_t num_features, double eps = 1e-5,
                         std::optional<double> momentum = 0.1, bool affine = true,
                         bool track_running_stats = true)
        : BatchNorm<T>(num_features, 1, eps, momentum, affine, track_running_stats) {}
};

/// PyTorch's BatchNorm2d: BatchNorm for (N, C, H, W).
template <class T = double>
class BatchNorm2d : public BatchNorm<T> {
public:
    /// See BatchNorm.
    explicit BatchNorm2d(std::size_t num_features, double eps = 1e-5,
                         std::optional<double> momentum = 0.1, bool affine = true,
                         bool track_running_stats = true)
        : BatchNorm<T>(num_features, 2, eps, momentum, affine, track_running_stats) {}
};

/// Inverted dropout (tg::dropout) in training mode, the identity in eval mode.
template <class T = double>
class Dropout : public Cloneable<Dropout<T>, T> {
public:
    /// Zeroes each element with probability p, drawing from `rng` (kept by reference: it
    /// must outlive the layer), or from the calling thread's tg::nn::default_rng() when
    /// none is given. Under tg::nn::DataParallel give none: an Rng is not thread-safe
    /// (docs/threads.md).
    explicit Dropout(double p = 0.5, Rng* rng = nullptr);
    /// dropout(x, p, rng, is_training()).
    Tensor<T> forward(const Tensor<T>& x) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;

private:
    double p_;
    Rng* rng_;
};

#define TG_NN_NORMALIZATION_EXTERN(T)   \
    extern template class LayerNorm<T>; \
    extern template class BatchNorm<T>; \
    extern template class Dropout<T>;
TG_NN_NORMALIZATION_EXTERN(float)
TG_NN_NORMALIZATION_EXTERN(double)
#undef TG_NN_NORMALIZATION_EXTERN

}  // namespace tg::nn
