#pragma once
// Scaled dot-product attention, as torch.nn.functional.scaled_dot_product_attention
// (PyTorch 2, without dropout), and the same for several heads laid side by side, as
// inside torch.nn.MultiheadAttention.
//
// Each is one fused op: the scores, the mask, the softmax and the weighted sum are
// computed one (L, S) block at a time (per batch item and head, small enough to stay in
// cache) and recorded as one entry that keeps the softmax weights. Its backward runs the
// classic formulas block by block; with create_graph it is written with recorded ops
// (matmul, softmax, ...), so second derivatives work as for any composite.

#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <optional>

namespace tg {

/// softmax(q kᵀ · scale + attn_mask) v over the last two axes:
///
/// - query (..., L, E), key (..., S, E), value (..., S, Ev), with the same leading
///   (batch) axes; the result is (..., L, Ev).
/// - attn_mask (optional) is added to the scores and broadcasts to (..., L, S): −inf
///   where a query may not look (torch's float mask). It gets no gradient
///   (tg::ValueError if it requires one).
/// - is_causal: query i may not look at key j > i (torch's is_causal: the upper triangle
///   of an (L, S) mask, aligned to the top left).
/// - scale: 1/√E unless given.
///
/// A query whose every score is −inf gets NaN, as in PyTorch. Shape errors
/// (tg::ShapeError) name the op and the shapes.
template <class T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& query, const Tensor<T>& key,
                                       const Tensor<T>& value,
                                       const Tensor<T>& attn_mask = Tensor<T>(),
                                       bool is_causal = false,
                                       std::optional<double> scale = std::nullopt);

/// scaled_dot_product_attention of `num_heads` heads whose features lie side by side in
/// the last axis, as a projection gives them: query (N, L, h·d), key (N, S, h·d), value
/// (N, S, h·dv), head j in the columns [j·d, (j+1)·d). The result (N, L, h·dv) holds the
/// heads' outputs side by side. It equals splitting each input into heads (reshape to
/// (N, L, h, d), permute to (N, h, L, d)), scaled_dot_product_attention, and merging
/// back (permute, reshape), without the copies those take. attn_mask broadcasts to
/// (N, h, L, S); scale is 1/√d unless given.
template <class T>
Tensor<T> scaled_dot_product_attention_heads(const Tensor<T>& query, const Tensor<T>& key,
                                             const Tensor<T>& value, std::size_t num_heads,
                                             const Tensor<T>& attn_mask = Tensor<T>(),
                                             bool is_causal = false,
                                             std::optional<double> scale = std::nullopt);

}  // namespace tg
