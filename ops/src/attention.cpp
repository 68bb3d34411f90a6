#include <tapegrad/check.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/detail/row_exp.hpp>
#include <tapegrad/detail/work_count.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/attention.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/ops/softmax.hpp>
#include <tapegrad/record.hpp>

#include "blas.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tg {
namespace {

/// Where the blocks of one attention lie in its contiguous buffers (the output, the
/// gradients; an input that is a view is read through blocks_of). Block i < count() is head
/// i % heads of batch item i / heads. Its L query rows start at q + q_offset(i), one row
/// every heads·d elements; its S key rows likewise in k; its value rows and output rows
/// hold dv features, heads·dv apart. With heads = 1 every block is a plain (rows, width)
/// matrix.
struct Layout {
    std::size_t batch = 0, heads = 1, l = 0, s = 0, d = 0, dv = 0;

    std::size_t count() const { return batch * heads; }
    std::size_t ld_qk() const { return heads * d; }
    std::size_t ld_vo() const { return heads * dv; }
    std::size_t q_offset(std::size_t i) const {
        return (i / heads) * l * ld_qk() + (i % heads) * d;
    }
    std::size_t k_offset(std::size_t i) const {
        return (i / heads) * s * ld_qk() + (i % heads) * d;
    }
    std::size_t v_offset(std::size_t i) const {
        return (i / heads) * s * ld_vo() + (i % heads) * dv;
    }
    std::size_t o_offset(std::size_t i) const {
        return (i / heads) * l * ld_vo() + (i % heads) * dv;
    }
};

/// Where the (R, w) matrices of one input (q, k or v) are read: block i's row r starts at
/// data + offsets[i] + r·ld, its entries one apart (blocks numbered as in Layout).
template <class T>
struct Blocks {
    const T* data = nullptr;
    std::vector<std::size_t> offsets;
    std::size_t ld = 0;
};

/// x's (R, w) blocks, for x (..., R, w) or, with `heads` > 1, (N, R, heads·w) whose block
/// i is head i % heads of item i / heads. A strided view whose rows have unit stride (q, k
/// and v split from one projection; heads split by a permute) is read where it lies; any
/// other tensor through its values (value(), a copy for other strided views).
template <class T>
Blocks<T> blocks_of(const Tensor<T>& x, std::size_t heads, std::size_t width) {
    const detail::Node<T>& n = *x.node();
    const std::size_t rank = x.dim(), rows = x.shape()[rank - 2];
    Blocks<T> b;
    detail::Layout l;
    const bool in_place = n.strided && (width <= 1 || n.strided->layout.strides[rank - 1] == 1) &&
                          (rows <= 1 || n.strided->layout.strides[rank - 2] >= width);
    if (in_place) {
        l = n.strided->layout;
        b.data = n.strided->storage.data();
    } else {
        l = detail::contiguous_layout(x.shape());
        b.data = x.value().data();
    }
    // The blocks' axes (row-major) and their strides: the leading axes, and for heads the
    // heads, `width` entries apart along the last axis.
    Shape sizes(l.shape.begin(), l.shape.end() - 2),
        strides(l.strides.begin(), l.strides.end() - 2);
    if (heads > 1) {
        sizes.push_back(heads);
        strides.push_back(width * l.strides[rank - 1]);
    }
    b.ld = rows <= 1 ? std::max<std::size_t>(width, 1) : l.strides[rank - 2];
    std::size_t count = 1;
    for (std::size_t s : sizes) count *= s;
    b.offsets.resize(count);
    Shape index(sizes.size(), 0);
    for (std::size_t i = 0, at = l.offset; i < count; ++i) {
        b.offsets[i] = at;
        for (std::size_t a = sizes.size(); a-- > 0;) {  // the next block, last axis fastest
            at += strides[a];
            if (++index[a] < sizes[a]) break;
            at -= index[a] * strides[a];
            index[a] = 0;
        }
    }
    return b;
}

/// C (n, m; rows ldc apart) = alpha · op(A) op(B): BLAS, or zeros when k = 0.
template <class T>
void gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T* c, std::size_t ldc) {
    if (n == 0 || m == 0) return;
    if (k == 0) {
        for (std::size_t r = 0; r < n; ++r) std::fill_n(c + r * ldc, m, T(0));
        return;
    }
    detail::blas_gemm(ta, tb, n, m, k, alpha, a, lda, b, ldb, T(0), c, ldc);
}

/// The additive mask as the blocks read it: block i's score (r, c) gets
/// data[offsets[i] + r·row_stride + c·col_stride] added (stride 0 along a broadcast axis).
template <class T>
struct MaskView {
    const T* data = nullptr;
    std::vector<std::size_t> offsets;
    std::size_t row_stride = 0, col_stride = 0;
};

/// `mask` broadcast to the scores' shape (the blocks' batch axes, then L and S).
template <class T>
MaskView<T> mask_view(const char* op, const Array<T>& mask, const Shape& scores) {
    const Shape ms(mask.shape().begin(), mask.shape().end());
    const std::size_t rank = scores.size();
    std::vector<std::size_t> strides(rank, 0);
    bool broadcasts = ms.size() <= rank;
    for (std::size_t k = 0, stride = 1; broadcasts && k < ms.size(); ++k) {
        const std::size_t m = ms[ms.size() - 1 - k], target = scores[rank - 1 - k];
        if (m != 1 && m != target) broadcasts = false;
        if (m != 1) strides[rank - 1 - k] = stride;
        stride *= m;
    }
    TG_CHECK(broadcasts, ShapeError, op, ": attn_mask of shape ", ms,
             " does not broadcast to the scores' shape ", scores);
    MaskView<T> view;
    view.data = mask.data();
    view.row_stride = strides[rank - 2];
    view.col_stride = strides[rank - 1];
    std::size_t blocks = 1;
    for (std::size_t k = 0; k + 2 < rank; ++k) blocks *= scores[k];
    view.offsets.resize(blocks);
    for (std::size_t i = 0; i < blocks; ++i) {
        std::size_t rest = i, offset = 0;
        for (std::size_t k = rank - 2; k-- > 0;) {
            offset += (rest % scores[k]) * strides[k];
            rest /= scores[k];
        }
        view.offsets[i] = offset;
    }
    return view;
}

/// row[0, n) ← softmax(row[0, n)) and row[n, width) ← 0 (the keys a causal query may not
/// see). A row of −inf only (every key masked) becomes NaN throughout, as PyTorch gives.
template <class T>
void softmax_row(T* row, std::size_t n, std::size_t width) {
    const T m = n > 0 ? detail::row_max(row, n) : -std::numeric_limits<T>::infinity();
    if (m == -std::numeric_limits<T>::infinity()) {
        std::fill_n(row, width, std::numeric_limits<T>::quiet_NaN());
        return;
    }
    const T total = detail::sum_exp(row, n, m, row);
    const T inv = T(1) / total;
    for (std::size_t c = 0; c < n; ++c) row[c] *= inv;
    std::fill(row + n, row + width, T(0));
}

/// Calls fn(first, last) over the blocks [0, z.count()). Blocks write disjoint outputs, so
/// the intra-op threads share them (tg::detail::parallel_for; about 2^20 multiply-adds a
/// thread at least) when each block's products are too small for OpenBLAS to share
/// (m·n·k below detail::blas_threads_from: GPT-2's 64 x 64 heads); larger blocks run in
/// order, each product on OpenBLAS's threads. Either way a block's bits do not depend on
/// the thread count.
template <class F>
void for_blocks(const Layout& z, F&& fn) {
    const double per_product = double(z.l) * double(z.s) * double(std::max(z.d, z.dv));
    if (per_product > detail::blas_threads_from) {
        fn(std::size_t(0), z.count());
        return;
    }
    const double per_block = std::max(1.0, double(z.l) * double(z.s) * double(z.d + z.dv));
    const auto grain = static_cast<std::size_t>(std::ceil(double(1 << 20) / per_block));
    detail::parallel_for(z.count(), grain, fn);
}

/// Per block: P = softmax(scale · Q Kᵀ + mask) (into weights + i·L·S when weights is
/// given, else a scratch block), then O = P V into o.
template <class T>
void forward_blocks(const Layout& z, const Blocks<T>& q, const Blocks<T>& k, const Blocks<T>& v,
                    const MaskView<T>* mask, bool causal, T scale, T* weights, T* o) {
    for_blocks(z, [&](std::size_t first, std::size_t last) {
        std::vector<T> scratch(weights ? 0 : z.l * z.s);
        for (std::size_t i = first; i < last; ++i) {
            T* p = weights ? weights + i * z.l * z.s : scratch.data();
            gemm(false, true, z.l, z.s, z.d, scale, q.data + q.offsets[i], q.ld,
                 k.data + k.offsets[i], k.ld, p, z.s);
            for (std::size_t r = 0; r < z.l; ++r) {
                T* row = p + r * z.s;
                if (mask) {
                    const T* m = mask->data + mask->offsets[i] + r * mask->row_stride;
                    for (std::size_t c = 0; c < z.s; ++c) row[c] += m[c * mask->col_stride];
                }
                softmax_row(row, causal ? std::min(z.s, r + 1) : z.s, z.s);
            }
            gemm(false, false, z.l, z.dv, z.s, T(1), p, z.s, v.data + v.offsets[i], v.ld,
                 o + z.o_offset(i), z.ld_vo());
        }
    });
}

/// Per block, from the saved weights P and the output's gradient G:
///   dV = Pᵀ G,  dP = G Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = scale · dS K,
///   dK = scale · dSᵀ Q
/// (the softmax's backward inside). q, k and v are read as they lie; G and the gradients
/// are contiguous (Layout's offsets). A null gradient pointer is not wanted.
template <class T>
void backward_blocks(const Layout& z, const Blocks<T>& q, const Blocks<T>& k, const Blocks<T>& v,
                     const T* weights, const T* g, T scale, T* dq, T* dk, T* dv) {
    for_blocks(z, [&](std::size_t first, std::size_t last) {
        std::vector<T> ds(z.l * z.s);
        for (std::size_t i = first; i < last; ++i) {
            const T* p = weights + i * z.l * z.s;
            const T* gi = g + z.o_offset(i);
            if (dv)
                gemm(true, false, z.s, z.dv, z.l, T(1), p, z.s, gi, z.ld_vo(), dv + z.v_offset(i),
                     z.ld_vo());
            if (!dq && !dk) continue;
            gemm(false, true, z.l, z.s, z.dv, T(1), gi, z.ld_vo(), v.data + v.offsets[i], v.ld,
                 ds.data(), z.s);
            for (std::size_t r = 0; r < z.l; ++r) {
                T* row = ds.data() + r * z.s;
                const T* pr = p + r * z.s;
                T t = 0;
                for (std::size_t c = 0; c < z.s; ++c) t += row[c] * pr[c];
                for (std::size_t c = 0; c < z.s; ++c) row[c] = pr[c] * (row[c] - t);
            }
            if (dq)
                gemm(false, false, z.l, z.d, z.s, scale, ds.data(), z.s, k.data + k.offsets[i],
                     k.ld, dq + z.q_offset(i), z.ld_qk());
            if (dk)
                gemm(true, false, z.s, z.d, z.l, scale, ds.data(), z.s, q.data + q.offsets[i], q.ld,
                     dk + z.k_offset(i), z.ld_qk());
        }
    });
}

// ---- The same with recorded ops: the backward when the sweep records (create_graph).

/// x with its last two axes swapped.
template <class T>
Tensor<T> swap_last(const Tensor<T>& x) {
    std::vector<std::size_t> perm(x.dim());
    for (std::size_t a = 0; a < perm.size(); ++a) perm[a] = a;
    std::swap(perm[perm.size() - 2], perm[perm.size() - 1]);
    return permute(x, perm);
}

/// detail::split_heads when `split`, else x itself.
template <class T>
Tensor<T> split_heads(const Tensor<T>& x, std::size_t heads, bool split) {
    return split ? detail::split_heads(x, heads) : x;
}

/// (N, h, R, w) → (N, R, h·w) when `split`, else y itself.
template <class T>
Tensor<T> merge_heads(const Tensor<T>& y, bool split) {
    if (!split) return y;
    const Shape s = y.shape();
    return reshape(permute(y, {0, 2, 1, 3}), {s[0], s[2], s[1] * s[3]});
}

/// softmax(q kᵀ · scale + mask + causal) over heads q (..., L, d), k (..., S, d).
template <class T>
Tensor<T> composite_weights(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& mask,
                            bool causal, T scale) {
    Tensor<T> scores = matmul(q, swap_last(k)) * scale;
    if (mask.defined()) scores = scores + mask;
    if (causal) {
        const std::size_t l = q.shape()[q.dim() - 2], s = k.shape()[k.dim() - 2];
        Array<T> above({l, s}, T(0));
        for (std::size_t r = 0; r < l; ++r)
            for (std::size_t c = r + 1; c < s; ++c)
                above(r, c) = -std::numeric_limits<T>::infinity();
        scores = scores + Tensor<T>(std::move(above));
    }
    return softmax(scores, -1);
}

/// The op behind both public functions: checks done, layout known, the mask additive.
/// `split`: the inputs hold z.heads heads side by side (scaled_dot_product_attention_heads).
template <class T>
Tensor<T> attention(const char* op, const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                    const Layout& z, bool split, const Tensor<T>& mask, const Shape& scores,
                    bool causal, T scale) {
    MaskView<T> view;
    if (mask.defined()) view = mask_view(op, mask.value(), scores);
    Shape out_shape = q.shape();
    out_shape.back() = z.heads * z.dv;
    Tensor<T> y = Tensor<T>::uninitialized(out_shape);
    const bool records =
        detail::recording_tape() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
    Tensor<T> weights;  // (count, L, S), kept for the backward
    if (records) weights = Tensor<T>::uninitialized({z.count(), z.l, z.s});
    forward_blocks(z, blocks_of(q, z.heads, z.d), blocks_of(k, z.heads, z.d),
                   blocks_of(v, z.heads, z.dv), mask.defined() ? &view : nullptr, causal, scale,
                   records ? weights.node()->value.data() : nullptr, y.node()->value.data());
    if (!records) return y;
    record(op, {q, k, v}, y, {q, k, v, weights},
           [z, split, mask, causal, scale](BackwardContext<T>& c) {
               const Tensor<T>& g = c.grad();
               if (c.create_graph()) {
                   const Tensor<T> qs = split_heads(c.saved(0), z.heads, split),
                                   ks = split_heads(c.saved(1), z.heads, split),
                                   vs = split_heads(c.saved(2), z.heads, split),
                                   gs = split_heads(g, z.heads, split);
                   const Tensor<T> p = composite_weights(qs, ks, mask, causal, scale);
                   if (c.needs(2)) c.add(2, merge_heads(matmul(swap_last(p), gs), split));
                   if (!c.needs(0) && !c.needs(1)) return;
                   const Tensor<T> dp = matmul(gs, swap_last(vs));
                   const Tensor<T> ds = p * (dp - sum(dp * p, {-1}, true));
                   if (c.needs(0)) c.add(0, merge_heads(matmul(ds, ks) * scale, split));
                   if (c.needs(1)) c.add(1, merge_heads(matmul(swap_last(ds), qs) * scale, split));
                   return;
               }
               Tensor<T> dq, dk, dv;
               if (c.needs(0)) dq = Tensor<T>::uninitialized(c.input_shape(0));
               if (c.needs(1)) dk = Tensor<T>::uninitialized(c.input_shape(1));
               if (c.needs(2)) dv = Tensor<T>::uninitialized(c.input_shape(2));
               auto data = [](Tensor<T>& t) {
                   return t.defined() ? t.node()->value.data() : nullptr;
               };
               backward_blocks(z, blocks_of(c.saved(0), z.heads, z.d),
                               blocks_of(c.saved(1), z.heads, z.d),
                               blocks_of(c.saved(2), z.heads, z.dv), c.saved(3).value().data(),
                               g.value().data(), scale, data(dq), data(dk), data(dv));
               if (dq.defined()) c.add(0, dq);
               if (dk.defined()) c.add(1, dk);
               if (dv.defined()) c.add(2, dv);
           });
    return y;
}

/// The scale: the given one, else 1/√d.
template <class T>
T scale_or_default(std::optional<double> scale, std::size_t d) {
    return static_cast<T>(scale ? *scale : 1.0 / std::sqrt(static_cast<double>(d)));
}

}  // namespace

namespace detail {

template <class T>
Tensor<T> split_heads(const Tensor<T>& x, std::size_t heads) {
    const Shape s = x.shape();
    return permute(reshape(x, {s[0], s[1], heads, s[2] / heads}), {0, 2, 1, 3});
}

}  // namespace detail

template <class T>
Tensor<T> additive_mask(const AttentionMask<T>& mask, const std::string& who,
                        const std::string& name) {
    if (!mask.defined()) return Tensor<T>();
    TG_CHECK(!mask.values.requires_grad(), ValueError, who, ": ", name,
             " gets no gradient here; detach() it");
    if (mask.kind == MaskKind::additive) return mask.values;
    const bool allow = mask.kind == MaskKind::allow;
    const T blocked = allow ? T(0) : T(1);
    Array<T> scores = mask.values.value();
    for (T& e : scores) {
        TG_CHECK(e == T(0) || e == T(1), ValueError, who, ": ", name,
                 " of MaskKind::", allow ? "allow" : "block", " holds ", std::to_string(e),
                 "; a boolean mask holds 0 and 1 only (an additive mask is a plain tensor)");
        e = e == blocked ? -std::numeric_limits<T>::infinity() : T(0);
    }
    return Tensor<T>(std::move(scores));
}

template <class T>
Tensor<T> scaled_dot_product_attention(
    const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value,
    const typename detail::identity<AttentionMask<T>>::type& attn_mask, bool is_causal,
    std::optional<double> scale) {
    const char* op = "scaled_dot_product_attention";
    const Shape sq = query.shape(), sk = key.shape(), sv = value.shape();
    const std::size_t r = sq.size();
    const bool ok = r >= 2 && sk.size() == r && sv.size() == r &&
                    std::equal(sq.begin(), sq.end() - 2, sk.begin()) &&
                    std::equal(sq.begin(), sq.end() - 2, sv.begin()) && sk.back() == sq.back() &&
                    sv[r - 2] == sk[r - 2];
    TG_CHECK(ok, ShapeError, op,
             ": needs query (..., L, E), key (..., S, E) and value (..., S, Ev) with the same "
             "leading axes; got ",
             sq, ", ", sk, ", ", sv);
    Layout z;
    z.batch = 1;
    for (std::size_t a = 0; a + 2 < r; ++a) z.batch *= sq[a];
    z.l = sq[r - 2];
    z.s = sk[r - 2];
    z.d = sq.back();
    z.dv = sv.back();
    Shape scores(sq.begin(), sq.end() - 1);
    scores.push_back(z.s);
    return attention(op, query, key, value, z, false, additive_mask(attn_mask, op, "attn_mask"),
                     scores, is_causal, scale_or_default<T>(scale, z.d));
}

template <class T>
Tensor<T> scaled_dot_product_attention_heads(
    const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value, std::size_t num_heads,
    const typename detail::identity<AttentionMask<T>>::type& attn_mask, bool is_causal,
    std::optional<double> scale) {
    const char* op = "scaled_dot_product_attention_heads";
    const Shape sq = query.shape(), sk = key.shape(), sv = value.shape();
    const std::size_t h = num_heads;
    const bool ok = h > 0 && sq.size() == 3 && sk.size() == 3 && sv.size() == 3 && sk[0] == sq[0] &&
                    sv[0] == sq[0] && sk[2] == sq[2] && sv[1] == sk[1] && sq[2] % h == 0 &&
                    sv[2] % h == 0;
    TG_CHECK(ok, ShapeError, op,
             ": needs query (N, L, h·d), key (N, S, h·d) and value (N, S, h·dv) for h = "
             "num_heads = ",
             h, "; got ", sq, ", ", sk, ", ", sv);
    Layout z;
    z.batch = sq[0];
    z.heads = h;
    z.l = sq[1];
    z.s = sk[1];
    z.d = sq[2] / h;
    z.dv = sv[2] / h;
    return attention(op, query, key, value, z, true, additive_mask(attn_mask, op, "attn_mask"),
                     Shape{z.batch, h, z.l, z.s}, is_causal, scale_or_default<T>(scale, z.d));
}

// The mask's parameter as declared (a non-deduced identity<...>::type), so that these
// instantiate the declared templates.
#define TG_INSTANTIATE(T)                                                              \
    template Tensor<T> detail::split_heads(const Tensor<T>&, std::size_t);             \
    template Tensor<T> additive_mask(const AttentionMask<T>&, const std::string&,      \
                                     const std::string&);                              \
    template Tensor<T> scaled_dot_product_attention<T>(                                \
        const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,                          \
        const detail::identity<AttentionMask<T>>::type&, bool, std::optional<double>); \
    template Tensor<T> scaled_dot_product_attention_heads<T>(                          \
        const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, std::size_t,             \
        const detail::identity<AttentionMask<T>>::type&, bool, std::optional<double>);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
