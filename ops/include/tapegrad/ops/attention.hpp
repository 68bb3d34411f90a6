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
#include <string>
#include <utility>

namespace tg {

/// What the entries of an attention mask mean. tapegrad's tensors hold float or double
/// only, so a boolean mask is a 0/1 tensor that says which of PyTorch's two boolean
/// conventions it follows (they are opposite; docs/design.md, "Conventions").
enum class MaskKind {
    /// Added to the scores, PyTorch's float mask: 0 where a query may look, −inf where it
    /// may not, any other value a bias (relative positions, ALiBi).
    additive,
    /// 0/1, 1 (True) = may attend: torch.nn.functional.scaled_dot_product_attention's
    /// boolean attn_mask.
    allow,
    /// 0/1, 1 (True) = may not attend: torch.nn.MultiheadAttention's boolean attn_mask and
    /// key_padding_mask.
    block,
};

/// An attention mask: its values and their MaskKind. A Tensor converts to an additive
/// mask, as PyTorch reads a float mask; a boolean one is written {mask, MaskKind::block}.
/// An undefined tensor is no mask.
template <class T>
struct AttentionMask {
    Tensor<T> values;                    ///< broadcasts to the scores (..., L, S)
    MaskKind kind = MaskKind::additive;  ///< what the values mean

    AttentionMask() = default;
    /// `values` read as `kind` (additive unless said).
    AttentionMask(Tensor<T> values, MaskKind kind = MaskKind::additive)  // NOLINT: implicit
        : values(std::move(values)), kind(kind) {}
    /// Whether there is a mask.
    bool defined() const { return values.defined(); }
};

namespace detail {
/// x (N, R, h·w) as (N, h, R, w): the heads of a projection side by side in its last axis,
/// split out (a reshape and a permute, recorded).
template <class T>
Tensor<T> split_heads(const Tensor<T>& x, std::size_t heads);
}  // namespace detail

/// The mask as scores to add: an additive mask's values as they are, a boolean one's as 0
/// where a query may attend and −inf where it may not; undefined for no mask. A mask that
/// requires a gradient, or a boolean one holding other values than 0 and 1, is a
/// tg::ValueError whose message starts with `who` and names the mask `name`.
template <class T>
Tensor<T> additive_mask(const AttentionMask<T>& mask, const std::string& who = "additive_mask",
                        const std::string& name = "attn_mask");

/// softmax(q kᵀ · scale + attn_mask) v over the last two axes:
///
/// - query (..., L, E), key (..., S, E), value (..., S, Ev), with the same leading
///   (batch) axes; the result is (..., L, Ev).
/// - attn_mask (optional) broadcasts to (..., L, S). A Tensor is added to the scores
///   (PyTorch's float mask: 0 or −inf, or any bias); {m, MaskKind::allow} is PyTorch's
///   boolean mask of this function (1 = may attend), {m, MaskKind::block} the opposite
///   (1 = may not). It gets no gradient (tg::ValueError if it requires one); a boolean
///   mask holding other values than 0 and 1 is a tg::ValueError.
/// - is_causal: query i may not look at key j > i (torch's is_causal: the upper triangle
///   of an (L, S) mask, aligned to the top left), on top of attn_mask.
/// - scale: 1/√E unless given.
///
/// A query whose every score is −inf gets NaN, as in PyTorch. Shape errors
/// (tg::ShapeError) name the op and the shapes.
template <class T>
Tensor<T> scaled_dot_product_attention(
    const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value,
    const typename detail::identity<AttentionMask<T>>::type& attn_mask = {}, bool is_causal = false,
    std::optional<double> scale = std::nullopt);

/// scaled_dot_product_attention of `num_heads` heads whose features lie side by side in
/// the last axis, as a projection gives them: query (N, L, h·d), key (N, S, h·d), value
/// (N, S, h·dv), head j in the columns [j·d, (j+1)·d). The result (N, L, h·dv) holds the
/// heads' outputs side by side. It equals splitting each input into heads (reshape to
/// (N, L, h, d), permute to (N, h, L, d)), scaled_dot_product_attention, and merging
/// back (permute, reshape), without the copies those take. attn_mask (any MaskKind)
/// broadcasts to (N, h, L, S); scale is 1/√d unless given.
template <class T>
Tensor<T> scaled_dot_product_attention_heads(
    const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value, std::size_t num_heads,
    const typename detail::identity<AttentionMask<T>>::type& attn_mask = {}, bool is_causal = false,
    std::optional<double> scale = std::nullopt);

}  // namespace tg
