#include <tapegrad/check.hpp>
#include <tapegrad/nn/attention.hpp>
#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/ops.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace tg::nn {
namespace {

/// x (N, L, E) times the rows [block·E, (block+1)·E) of w, plus that block of b (when
/// there is a bias): the projection of the query (block 0), key (1) or value (2).
template <class T>
Tensor<T> project_block(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b,
                        std::size_t block, std::size_t e) {
    return linear(x, narrow(w, 0, block * e, e),
                  b.defined() ? narrow(b, 0, block * e, e) : Tensor<T>());
}

/// `mask` as scores to add (tg::additive_mask), of shape `shape`.
template <class T>
Array<T> additive(const AttentionMask<T>& mask, const Shape& shape, const std::string& layer,
                  const char* name) {
    Array<T> scores = additive_mask(mask, layer, name).value();
    scores.reshape(shape);
    return scores;
}

/// attn_mask and key_padding_mask as one additive (N or 1, h or 1, L, S) mask: their
/// scores added (a −inf of either stays −inf; PyTorch 2 adds them too), and the causal
/// −inf above the diagonal when `with_causal`. Undefined when nothing is masked. Not
/// recorded: the masks get no gradient.
template <class T>
Tensor<T> combined_mask(const AttentionMasks<T>& m, std::size_t n, std::size_t heads, std::size_t l,
                        std::size_t s, const std::string& layer, bool with_causal) {
    Array<T> mask;
    bool any = false;
    auto add = [&](Array<T> part) {
        if (!any)
            mask = std::move(part);
        else
            mask = mask + part;  // broadcasts to (N or 1, h or 1, L, S)
        any = true;
    };
    if (m.attn_mask.defined()) {
        const Shape given = m.attn_mask.values.shape();
        if (given == Shape{l, s})
            add(additive(m.attn_mask, {1, 1, l, s}, layer, "attn_mask"));
        else if (given == Shape{n * heads, l, s})
            add(additive(m.attn_mask, {n, heads, l, s}, layer, "attn_mask"));
        else
            detail::fail<ShapeError>(layer, ": attn_mask must have shape (L, S) = ", Shape{l, s},
                                     " or (N·num_heads, L, S) = ", Shape{n * heads, l, s},
                                     "; got ", given);
    }
    if (m.key_padding_mask.defined()) {
        TG_CHECK((m.key_padding_mask.values.shape() == Shape{n, s}), ShapeError, layer,
                 ": key_padding_mask must have shape (N, S) = ", Shape{n, s}, "; got ",
                 m.key_padding_mask.values.shape());
        add(additive(m.key_padding_mask, {n, 1, 1, s}, layer, "key_padding_mask"));
    }
    if (m.is_causal) {
        TG_CHECK(l == s, ShapeError, layer, ": is_causal needs L = S; got L = ", l, ", S = ", s);
        if (with_causal) {
            Array<T> above({1, 1, l, s}, T(0));
            for (std::size_t r = 0; r < l; ++r)
                for (std::size_t c = r + 1; c < s; ++c)
                    above(0, 0, r, c) = -std::numeric_limits<T>::infinity();
            add(std::move(above));
        }
    }
    return any ? Tensor<T>(std::move(mask)) : Tensor<T>();
}

}  // namespace

template <class T>
MultiheadAttention<T>::MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, Rng& rng,
                                          MultiheadAttentionOptions options)
    : embed_(embed_dim), heads_(num_heads), options_(options) {
    TG_CHECK(embed_ > 0 && heads_ > 0 && embed_ % heads_ == 0, ValueError, describe(),
             ": embed_dim must be a positive multiple of num_heads");
    TG_CHECK(options_.dropout >= 0 && options_.dropout <= 1, ValueError, describe(),
             ": dropout must be in [0, 1]");
    build(&rng);
}

template <class T>
MultiheadAttention<T>::MultiheadAttention(std::size_t embed_dim, std::size_t num_heads,
                                          MultiheadAttentionOptions options)
    : MultiheadAttention(embed_dim, num_heads, default_rng(), options) {}

template <class T>
void MultiheadAttention<T>::build(Rng* rng) {
    const std::size_t e = embed_;
    const double k = 1.0 / std::sqrt(static_cast<double>(e));
    in_proj_weight_ = this->register_parameter(
        "in_proj_weight",
        Tensor<T>(rng ? xavier_uniform<T>({3 * e, e}, *rng) : Array<T>({3 * e, e}, T(0)), true));
    if (options_.bias)
        in_proj_bias_ = this->register_parameter("in_proj_bias", zeros<T>({3 * e}, true));
    Array<T> w = rng ? uniform<T>({e, e}, -k, k, *rng) : Array<T>({e, e}, T(0));
    out_proj_ = this->register_module(
        "out_proj", options_.bias ? std::make_shared<Dense<T>>(w, Array<T>({e}, T(0)))
                                  : std::make_shared<Dense<T>>(w));
}

template <class T>
void MultiheadAttention<T>::reset() {
    build(nullptr);
}

template <class T>
AttentionOutput<T> MultiheadAttention<T>::forward(const Tensor<T>& query, const Tensor<T>& key,
                                                  const Tensor<T>& value,
                                                  const AttentionMasks<T>& masks,
                                                  bool need_weights) {
    const std::size_t e = embed_;
    const bool shapes_ok = query.dim() == 3 && key.dim() == 3 && value.dim() == 3 &&
                           query.shape()[2] == e && key.shape()[2] == e && value.shape()[2] == e &&
                           key.shape() == value.shape() && key.shape()[0] == query.shape()[0];
    TG_CHECK(shapes_ok, ShapeError, describe(), " expects query (N, L, ", e,
             ") and key, value (N, S, ", e, "); got ", query.shape(), ", ", key.shape(), ", ",
             value.shape());
    const std::size_t n = query.shape()[0], l = query.shape()[1], s = key.shape()[1];
    const Tensor<T> q = project_block(query, in_proj_weight_, in_proj_bias_, 0, e);
    const Tensor<T> k = project_block(key, in_proj_weight_, in_proj_bias_, 1, e);
    const Tensor<T> v = project_block(value, in_proj_weight_, in_proj_bias_, 2, e);
    const bool drops = options_.dropout > 0 && this->is_training();
    if (!need_weights && !drops) {
        // One fused op for all heads: no split or merge of the heads, no (N, h, L, S)
        // scores in memory.
        const Tensor<T> mask = combined_mask(masks, n, heads_, l, s, describe(), false);
        const Tensor<T> heads =
            scaled_dot_product_attention_heads(q, k, v, heads_, mask, masks.is_causal);
        return {(*out_proj_)(heads), Tensor<T>()};
    }
    // The weights are wanted, or dropped out: the same attention from recorded ops.
    const T scale = T(1) / std::sqrt(T(e / heads_));
    Tensor<T> scores =
        matmul(detail::split_heads(q, heads_), permute(detail::split_heads(k, heads_), {0, 1, 3, 2})) *
        scale;  // (N, h, L, S)
    const Tensor<T> mask = combined_mask(masks, n, heads_, l, s, describe(), true);
    if (mask.defined()) scores = scores + mask;
    Tensor<T> weights = softmax(scores, -1);
    if (drops)
        weights = dropout(weights, options_.dropout,
                          options_.dropout_rng ? *options_.dropout_rng : default_rng(), true);
    const Tensor<T> heads =
        reshape(permute(matmul(weights, detail::split_heads(v, heads_)), {0, 2, 1, 3}), {n, l, e});
    // The average over the heads is a reduction over the whole (N, h, L, S) tensor: only
    // when asked for.
    return {(*out_proj_)(heads), need_weights ? mean(weights, {1}) : Tensor<T>()};
}

template <class T>
Tensor<T> MultiheadAttention<T>::forward(const Tensor<T>& x) {
    return forward(x, x, x, {}, false).output;
}

template <class T>
std::string MultiheadAttention<T>::describe() const {
    std::string s =
        "MultiheadAttention(" + std::to_string(embed_) + ", num_heads=" + std::to_string(heads_);
    if (options_.dropout > 0) s += ", dropout=" + repr(options_.dropout);
    if (!options_.bias) s += ", bias=" + repr(false);
    return s + ")";
}

template class MultiheadAttention<float>;
template class MultiheadAttention<double>;

}  // namespace tg::nn
