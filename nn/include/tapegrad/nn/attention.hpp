#pragma once
// tg::nn::MultiheadAttention, as PyTorch's torch.nn.MultiheadAttention with
// batch_first=True: the same parameters ("in_proj_weight" (3E, E), "in_proj_bias" (3E),
// "out_proj.weight" (E, E), "out_proj.bias" (E)) and initialization (in_proj_weight
// Xavier uniform, out_proj.weight U(−1/√E, 1/√E), biases 0), so a .npz of PyTorch's
// state_dict loads. Query, key and value share the embedding size E (PyTorch's
// kdim = vdim = E). Options as PyTorch's: bias (False: no in_proj_bias, no
// out_proj.bias) and dropout on the attention weights in training mode. Not offered:
// bias_k/bias_v, add_zero_attn.

#include <tapegrad/nn/dense.hpp>
#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/random.hpp>
#include <tapegrad/ops/attention.hpp>

#include <cstddef>
#include <memory>

namespace tg::nn {

/// The masks of one attention call (all optional), as PyTorch's arguments. A Tensor is an
/// additive (float) mask, added to the scores: 0 or −inf, or any bias (relative positions,
/// ALiBi). PyTorch's boolean masks, True where attention is NOT allowed, are written
/// {mask, tg::MaskKind::block} with 0/1 values ({mask, tg::MaskKind::allow} for the
/// opposite convention). The masks add up: a −inf of either stays −inf.
template <class T = double>
struct AttentionMasks {
    /// (L, S), or (N·num_heads, L, S) (one per sequence and head, item-major, as
    /// PyTorch's 3-D attn_mask): what query position i may look at.
    AttentionMask<T> attn_mask;
    /// (N, S): which keys of sequence n to ignore (padding).
    AttentionMask<T> key_padding_mask;
    /// Also mask every key after the query's position (L = S).
    bool is_causal = false;
};

/// The options of MultiheadAttention, as PyTorch's constructor arguments.
struct MultiheadAttentionOptions {
    /// in_proj_bias and out_proj.bias (PyTorch's bias=True).
    bool bias = true;
    /// The probability of zeroing an attention weight in training mode (tg::dropout on the
    /// softmax, before it weights the values; PyTorch's dropout).
    double dropout = 0.0;
    /// Draws the dropout masks (kept by reference: it must outlive the layer); the calling
    /// thread's tg::nn::default_rng() when null (leave it null under DataParallel: an Rng
    /// is not thread-safe).
    Rng* dropout_rng = nullptr;
};

/// What MultiheadAttention returns.
template <class T = double>
struct AttentionOutput {
    Tensor<T> output;   ///< (N, L, E)
    Tensor<T> weights;  ///< (N, L, S): the attention weights averaged over the heads (undefined
                        ///< when forward was called with need_weights = false)
};

/// softmax(Q Kᵀ / √d + mask) V per head, heads concatenated, then out_proj; with
/// Q = query W_qᵀ + b_q, K = key W_kᵀ + b_k, V = value W_vᵀ + b_v (the three blocks of
/// in_proj), d = E / num_heads. A query row whose keys are all masked gives NaN, as in
/// PyTorch. With dropout, the softmax is dropped out in training mode before it weights V,
/// and the returned weights are the dropped-out ones (as PyTorch 1.13 returns them).
template <class T = double>
class MultiheadAttention : public Cloneable<MultiheadAttention<T>, T> {
public:
    /// embed_dim must be divisible by num_heads; the weights are drawn from `rng`.
    MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, Rng& rng,
                       MultiheadAttentionOptions options = {});
    /// The same from tg::nn::default_rng().
    MultiheadAttention(std::size_t embed_dim, std::size_t num_heads,
                       MultiheadAttentionOptions options = {});

    /// query (N, L, E), key and value (N, S, E). With need_weights = false (PyTorch's
    /// need_weights=False) the head-averaged weights are not computed and `weights` is an
    /// undefined tensor.
    AttentionOutput<T> forward(const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value,
                               const AttentionMasks<T>& masks = {}, bool need_weights = true);
    /// Self-attention: forward(x, x, x, {}, false).output, so the layer fits a Sequential.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// forward(query, key, value, masks, need_weights) (summary() shows the output).
    AttentionOutput<T> operator()(const Tensor<T>& query, const Tensor<T>& key,
                                  const Tensor<T>& value, const AttentionMasks<T>& masks = {},
                                  bool need_weights = true) {
        AttentionOutput<T> out = forward(query, key, value, masks, need_weights);
        this->note_output(out.output);
        return out;
    }
    using Module<T>::operator();
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters and a zero out_proj (clone() copies values in).
    void reset() override;

private:
    void build(Rng* rng);
    std::size_t embed_, heads_;
    MultiheadAttentionOptions options_;
    Tensor<T> in_proj_weight_, in_proj_bias_;
    std::shared_ptr<Dense<T>> out_proj_;
};

extern template class MultiheadAttention<float>;
extern template class MultiheadAttention<double>;

}  // namespace tg::nn
