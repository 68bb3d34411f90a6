#pragma once
// The tiny transformer: a character-level language model of `layers` pre-LayerNorm
// blocks (GPT-2's arrangement), shared by the example and
// benchmarks/transformer_step_benchmark.cpp.
//
//     h = tok_emb(x) + pos_emb(0, 1, ..., L − 1)                 x (N, L) character ids
//     for each block:  h = h + attn(ln_1(h))      causal self-attention
//                      h = h + mlp(ln_2(h))       mlp = Dense(E, 4E) GELU Dense(4E, E)
//     logits = head(ln_f(h))                                      (N, L, vocab)
//
// Parameter names are PyTorch's state_dict names of the same model written with
// torch.nn modules (side_by_side.py): "tok_emb.weight", "blocks.0.attn.in_proj_weight",
// "blocks.1.mlp.2.bias", "head.weight", ... There is no dropout.

#include <tapegrad/nn.hpp>

#include "../common/language_model.hpp"

#include <cstddef>
#include <memory>
#include <vector>

namespace tiny_transformer {

/// The sizes of the model.
struct Config {
    std::size_t vocab = 0;     ///< characters
    std::size_t context = 64;  ///< longest sequence (rows of the position table)
    std::size_t d_model = 64;  ///< E, the width of the residual stream
    std::size_t heads = 4;     ///< attention heads (divide d_model)
    std::size_t layers = 2;    ///< blocks
    std::size_t mlp = 256;     ///< hidden width of each block's MLP
    /// Run each block under tg::checkpoint (recomputed in backward: less memory).
    bool checkpoint_blocks = false;
};

/// One pre-LayerNorm block: h + attn(ln_1(h)), then + mlp(ln_2(h)), on (N, L, E).
template <class T>
class Block : public tg::nn::Cloneable<Block<T>, T> {
public:
    /// Draws the weights from `rng`.
    Block(const Config& config, tg::nn::Rng& rng);
    /// (N, L, E) -> (N, L, E), each position attending to itself and the ones before.
    tg::Tensor<T> forward(const tg::Tensor<T>& h) override;
    /// Registers new submodules (clone() copies the values in).
    void reset() override;

private:
    void build(tg::nn::Rng& rng);
    Config config_;
    tg::nn::ModuleHolder<tg::nn::LayerNorm<T>> ln_1_, ln_2_;
    tg::nn::ModuleHolder<tg::nn::MultiheadAttention<T>> attn_;
    tg::nn::ModuleHolder<tg::nn::Sequential<T>> mlp_;
};

/// The language model: forward(x) gives the logits of the next character at every
/// position; loss() is the mean cross-entropy over all positions.
template <class T>
class TinyTransformer : public tg::nn::Cloneable<TinyTransformer<T>, T> {
public:
    /// Draws the weights from `rng` (embeddings N(0, 1), Dense Xavier uniform, attention
    /// as PyTorch's MultiheadAttention, LayerNorm 1 and 0).
    TinyTransformer(const Config& config, tg::nn::Rng& rng);
    /// x (N, L) character ids (int64), L <= context -> logits (N, L, vocab): what
    /// `model(x)` calls, as PyTorch's model(ids).
    tg::Tensor<T> forward_indices(const examples::Tokens& x) override;
    /// Registers new submodules (clone() copies the values in).
    void reset() override;
    /// The sizes.
    const Config& config() const { return config_; }

private:
    void build(tg::nn::Rng& rng);
    Config config_;
    tg::nn::ModuleHolder<tg::nn::Embedding<T>> tok_emb_, pos_emb_;
    tg::nn::ModuleHolder<tg::nn::ModuleList<T>> blocks_;
    tg::nn::ModuleHolder<tg::nn::LayerNorm<T>> ln_f_;
    tg::nn::ModuleHolder<tg::nn::Dense<T>> head_;
};

/// The mean next-character loss of `model` over the windows of `ids` that start at
/// multiples of `context` (each window of length context predicts its shifted copy), in
/// eval mode without gradients, at most `batch` windows per forward pass.
template <class T>
double evaluate(TinyTransformer<T>& model, const std::vector<std::size_t>& ids,
                std::size_t batch = 64);

/// A batch of `rows` windows of `length` ids at random starts in `ids` (drawn from
/// `rng` with uniform_index): x (rows, length) and y, x shifted by one position.
std::pair<examples::Tokens, examples::Tokens> random_batch(const std::vector<std::size_t>& ids,
                                                           std::size_t rows, std::size_t length,
                                                           tg::nn::Rng& rng);

}  // namespace tiny_transformer
