#pragma once
// GPT-2 as tg::nn modules, with GPT-2's parameter names, shared by the example
// (examples/gpt2/main.cpp) and its test against PyTorch's data (reference_test.cpp):
//
//     h = wte(x) + wpe(0, 1, ..., T − 1)                           x (B, T) token ids
//     for each block h.N:  h = h + attn(ln_1(h))    causal self-attention, q k v from one
//                                                    (3C, C) projection c_attn, then c_proj
//                          h = h + mlp(ln_2(h))     mlp = c_proj(gelu_tanh(c_fc(·)))
//     logits = ln_f(h) @ wteᵀ                                      (B, T, V): weight tying
//
// Parameter names are those of GPT-2's checkpoints without the "transformer." prefix:
// "wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.attn.c_attn.weight", ...,
// "ln_f.bias". The linear layers keep PyTorch's (out, in) layout (nn.Linear, as nanoGPT
// and llm.c); Hugging Face's checkpoints store them (in, out) (its Conv1D), which
// load_weights transposes. LayerNorm eps is 1e-5; there is no dropout.

#include <tapegrad/io/npz.hpp>
#include <tapegrad/nn.hpp>

#include "../common/language_model.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gpt2 {

/// The sizes of the model (GPT-2 124M: vocab 50257, context 1024, 12 layers, 12 heads,
/// 768 channels).
struct Config {
    std::size_t vocab = 256;     ///< V, tokens (256: bytes)
    std::size_t context = 64;    ///< longest sequence (rows of wpe)
    std::size_t layers = 4;      ///< L, blocks
    std::size_t heads = 4;       ///< attention heads (divide channels)
    std::size_t channels = 128;  ///< C, the width of the residual stream
    /// Run each block under tg::checkpoint: its activations are recomputed in backward
    /// instead of kept (less memory, about a third more compute).
    bool checkpoint_blocks = false;
};

/// Causal self-attention: q, k, v = split(c_attn(x)), the heads' softmax(q kᵀ / √d) v
/// with position i seeing positions <= i, then c_proj. (B, T, C) -> (B, T, C).
template <class T>
class CausalSelfAttention : public tg::nn::Cloneable<CausalSelfAttention<T>, T> {
public:
    explicit CausalSelfAttention(const Config& config);
    tg::Tensor<T> forward(const tg::Tensor<T>& x) override;
    void reset() override;

private:
    Config config_;
    tg::nn::ModuleHolder<tg::nn::Dense<T>> c_attn_, c_proj_;
};

/// The MLP: c_proj(gelu_tanh(c_fc(x))), C -> 4C -> C.
template <class T>
class Mlp : public tg::nn::Cloneable<Mlp<T>, T> {
public:
    explicit Mlp(const Config& config);
    tg::Tensor<T> forward(const tg::Tensor<T>& x) override;
    void reset() override;

private:
    Config config_;
    tg::nn::ModuleHolder<tg::nn::Dense<T>> c_fc_, c_proj_;
};

/// One pre-LayerNorm block: h + attn(ln_1(h)), then + mlp(ln_2(h)).
template <class T>
class Block : public tg::nn::Cloneable<Block<T>, T> {
public:
    explicit Block(const Config& config);
    tg::Tensor<T> forward(const tg::Tensor<T>& h) override;
    void reset() override;

private:
    Config config_;
    tg::nn::ModuleHolder<tg::nn::LayerNorm<T>> ln_1_, ln_2_;
    tg::nn::ModuleHolder<CausalSelfAttention<T>> attn_;
    tg::nn::ModuleHolder<Mlp<T>> mlp_;
};

/// The language model: forward(x) gives the logits of the next token at every position.
template <class T>
class GPT2 : public tg::nn::Cloneable<GPT2<T>, T> {
public:
    /// GPT-2's initialization drawn from `rng`: every weight N(0, 0.02²) except the
    /// residual projections (attn.c_proj, mlp.c_proj) N(0, (0.02 / √(2L))²); biases 0,
    /// LayerNorm weights 1 (as llm.c's make_checkpoint.py and nanoGPT).
    GPT2(const Config& config, tg::nn::Rng& rng);
    /// x (B, T) token ids (int64), 0 < T <= context -> logits (B, T, V): what `model(x)`
    /// calls, as PyTorch's model(idx).
    tg::Tensor<T> forward_indices(const examples::Tokens& x) override;
    void reset() override;
    const Config& config() const { return config_; }

private:
    void build();
    Config config_;
    tg::nn::ModuleHolder<tg::nn::Embedding<T>> wte_, wpe_;
    tg::nn::ModuleHolder<tg::nn::ModuleList<T>> h_;
    tg::nn::ModuleHolder<tg::nn::LayerNorm<T>> ln_f_;
};

/// A GPT-2 checkpoint read from a file: its sizes and its arrays under GPT-2's names in
/// this model's layout (linear weights (out, in)).
struct Weights {
    Config config;
    tg::io::NamedArrays<float> arrays;
};

/// Reads llm.c's checkpoint (train_gpt2.c's format: a header of 256 int32, magic
/// 20240326, version 3 = float32, max_seq_len, vocab_size, num_layers, num_heads,
/// channels, padded_vocab_size; then the parameters in llm.c's order, each layer's
/// tensors stacked (L, ...)). wte keeps its first vocab_size rows (the padding rows are
/// zero and get no gradient in llm.c). tg::IoError naming the file and what is wrong.
Weights read_llmc(const std::string& path);

/// Reads a GPT-2-named .npz or .safetensors (told by its first bytes): this example's
/// own files, or Hugging Face's GPT-2 (a "transformer." prefix is dropped, and so are
/// lm_head.weight, tied to wte, and the attention-mask buffers attn.bias and
/// attn.masked_bias; when c_attn's weight is (C, 3C), Conv1D's layout, every linear
/// weight is transposed). The sizes come from the shapes; heads cannot, so they are
/// `heads`. tg::IoError when a tensor is missing or has the wrong shape.
Weights read_named(const std::string& path, std::size_t heads);

/// Reads `path` by its kind: llm.c's .bin (by its magic number) or read_named.
Weights read_weights(const std::string& path, std::size_t heads);

/// Copies `weights` into `model` (whose config must equal weights.config): every
/// parameter must be there with its shape (tg::IoError otherwise).
template <class T>
void load_weights(GPT2<T>& model, const Weights& weights, const std::string& path);

}  // namespace gpt2
