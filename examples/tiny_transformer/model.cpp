#include "model.hpp"

#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tiny_transformer {

namespace nn = tg::nn;

template <class T>
Block<T>::Block(const Config& config, nn::Rng& rng) : config_(config) {
    build(rng);
}

template <class T>
void Block<T>::build(nn::Rng& rng) {
    const std::size_t e = config_.d_model;
    ln_1_ = this->register_module("ln_1", nn::ModuleHolder<nn::LayerNorm<T>>(tg::Shape{e}));
    attn_ = this->register_module(
        "attn", nn::ModuleHolder<nn::MultiheadAttention<T>>(e, config_.heads, rng));
    ln_2_ = this->register_module("ln_2", nn::ModuleHolder<nn::LayerNorm<T>>(tg::Shape{e}));
    // Named "mlp.0" and "mlp.2" as torch.nn.Sequential(Linear, GELU, Linear).
    mlp_ = this->register_module(
        "mlp", nn::ModuleHolder<nn::Sequential<T>>(nn::Dense<T>(e, config_.mlp, rng), nn::GELU<T>(),
                                                   nn::Dense<T>(config_.mlp, e, rng)));
}

template <class T>
void Block<T>::reset() {
    nn::Rng unused(0);  // clone() overwrites every value
    build(unused);
}

template <class T>
tg::Tensor<T> Block<T>::forward(const tg::Tensor<T>& h) {
    nn::AttentionMasks<T> causal;
    causal.is_causal = true;
    const tg::Tensor<T> a = ln_1_(h);
    const auto [out, weights] = attn_(a, a, a, causal, /*need_weights=*/false);
    const tg::Tensor<T> x = h + out;
    return x + mlp_(ln_2_(x));  // Dense maps the last axis: every position
}

template <class T>
TinyTransformer<T>::TinyTransformer(const Config& config, nn::Rng& rng) : config_(config) {
    build(rng);
}

template <class T>
void TinyTransformer<T>::build(nn::Rng& rng) {
    const Config& c = config_;
    tok_emb_ = this->register_module("tok_emb",
                                     nn::ModuleHolder<nn::Embedding<T>>(c.vocab, c.d_model, rng));
    pos_emb_ = this->register_module("pos_emb",
                                     nn::ModuleHolder<nn::Embedding<T>>(c.context, c.d_model, rng));
    blocks_ = this->register_module("blocks", std::make_shared<nn::ModuleList<T>>());
    for (std::size_t i = 0; i < c.layers; ++i) blocks_->add(Block<T>(c, rng));
    ln_f_ = this->register_module("ln_f", nn::ModuleHolder<nn::LayerNorm<T>>(tg::Shape{c.d_model}));
    head_ = this->register_module("head", nn::ModuleHolder<nn::Dense<T>>(c.d_model, c.vocab, rng));
}

template <class T>
void TinyTransformer<T>::reset() {
    nn::Rng unused(0);  // clone() overwrites every value
    build(unused);
}

template <class T>
tg::Tensor<T> TinyTransformer<T>::forward_indices(const examples::Tokens& x) {
    if (x.dim() != 2 || x.size(1) == 0 || x.size(1) > config_.context)
        throw tg::ShapeError(
            "TinyTransformer expects (N, L) ids with 0 < L <= " + std::to_string(config_.context) +
            "; got " + tg::shape_str(x.value().shape()));
    const std::size_t l = x.size(1);
    // (N, L, E) + (L, E): every sequence gets the same position vectors.
    tg::Tensor<T> h = tok_emb_(x) + pos_emb_(tg::arange<std::int64_t>(l));
    for (const nn::ModuleHolder<nn::Module<T>> block : *blocks_) {  // for block in self.blocks
        // Activation checkpointing keeps only each block's input for backward.
        h = config_.checkpoint_blocks
                ? tg::checkpoint<T>([block](const tg::Tensor<T>& in) { return block(in); }, h)
                : block(h);
    }
    return head_(ln_f_(h));
}

template <class T>
double evaluate(TinyTransformer<T>& model, const std::vector<std::size_t>& ids, std::size_t batch) {
    const std::size_t l = model.config().context;
    const std::size_t windows = ids.size() > l ? (ids.size() - 1) / l : 0;
    if (windows == 0) throw std::invalid_argument("evaluate: the text is shorter than a window");
    tg::NoGradGuard no_grad;
    const bool training = model.is_training();
    model.eval();
    double sum = 0;
    for (std::size_t first = 0; first < windows; first += batch) {
        const std::size_t rows = std::min(batch, windows - first);
        tg::Array<std::int64_t> x = tg::Array<std::int64_t>::from_shape({rows, l}), y = x;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t i = 0; i < l; ++i) {
                x(r, i) = std::int64_t(ids[(first + r) * l + i]);
                y(r, i) = std::int64_t(ids[(first + r) * l + i + 1]);
            }
        const tg::Tensor<T> logits = model(examples::Tokens(std::move(x)));
        sum += double(examples::next_token_loss(logits, examples::Tokens(std::move(y))).item()) *
               double(rows);
    }
    model.train(training);
    return sum / double(windows);
}

std::pair<examples::Tokens, examples::Tokens> random_batch(const std::vector<std::size_t>& ids,
                                                           std::size_t rows, std::size_t length,
                                                           nn::Rng& rng) {
    if (ids.size() <= length) throw std::invalid_argument("random_batch: text too short");
    tg::Array<std::int64_t> x = tg::Array<std::int64_t>::from_shape({rows, length}), y = x;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t start = nn::uniform_index(rng, ids.size() - length);
        for (std::size_t i = 0; i < length; ++i) {
            x(r, i) = std::int64_t(ids[start + i]);
            y(r, i) = std::int64_t(ids[start + i + 1]);
        }
    }
    return {examples::Tokens(std::move(x)), examples::Tokens(std::move(y))};
}

#define TINY_TRANSFORMER_INSTANTIATE(T) \
    template class Block<T>;            \
    template class TinyTransformer<T>;  \
    template double evaluate<T>(TinyTransformer<T>&, const std::vector<std::size_t>&, std::size_t);
TINY_TRANSFORMER_INSTANTIATE(float)
TINY_TRANSFORMER_INSTANTIATE(double)
#undef TINY_TRANSFORMER_INSTANTIATE

}  // namespace tiny_transformer
