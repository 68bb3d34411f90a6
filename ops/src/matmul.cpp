#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include "blas.hpp"
#include "kernels.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace tg {
namespace {

/// C = op(A) op(B) (+ C when accumulate) into the row-major (n, m) buffer c.
template <class T>
void blas_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, const T* a,
               std::size_t lda, const T* b, std::size_t ldb, T* c, bool accumulate) {
    detail::blas_gemm(ta, tb, n, m, k, T(1), a, lda, b, ldb, accumulate ? T(1) : T(0), c, m);
}

/// A single row times a matrix (batch 1), or an outer product (a weight gradient at batch
/// 1), of at most this many multiply-adds takes row_gemm below: OpenBLAS's fixed cost
/// per call (argument checks, a buffer lock, packing) is 100-280 ns here, 3-6x what the
/// kernel takes (docs/notes.md: a raw loop beat BLAS for a single row). Other shapes keep
/// BLAS even when small: measured, the kernel loses there (16x32 times 32x32: 1.7 us
/// against OpenBLAS's 0.55 us).
constexpr std::size_t kRowGemmMaxProduct = 4096;

bool use_row_gemm(std::size_t n, std::size_t m, std::size_t k) {
    return (n == 1 || k == 1) && n * m * k <= kRowGemmMaxProduct;
}

template <class T>
using Vec = xsimd::batch<T>;  // one SIMD register of T (the widest the build targets)

/// c[0, V·S) (+)= Σ_p alpha[p · alpha_stride] · b[p · ldb + [0, V·S)], S = Vec<T>::size:
/// V registers of sums kept across all p.
template <std::size_t V, class T>
void scaled_rows_tile(const T* alpha, std::size_t alpha_stride, const T* b, std::size_t ldb,
                      std::size_t k, T* c, bool accumulate) {
    constexpr std::size_t S = Vec<T>::size;
    Vec<T> sum[V];
    for (std::size_t v = 0; v < V; ++v)
        sum[v] = accumulate ? Vec<T>::load_unaligned(c + v * S) : Vec<T>(T(0));
    for (std::size_t p = 0; p < k; ++p) {
        const Vec<T> ap(alpha[p * alpha_stride]);
        const T* bp = b + p * ldb;
        for (std::size_t v = 0; v < V; ++v)
            sum[v] = xsimd::fma(ap, Vec<T>::load_unaligned(bp + v * S), sum[v]);
    }
    for (std::size_t v = 0; v < V; ++v) sum[v].store_unaligned(c + v * S);
}

/// c[j] (+)= Σ_p alpha[p · alpha_stride] · b[p · ldb + j] for j < m: a row of op(A) times
/// a row-major op(B), in register tiles of 4 and 1 vectors, then a scalar remainder.
template <class T>
void scaled_rows(const T* alpha, std::size_t alpha_stride, const T* b, std::size_t ldb,
                 std::size_t k, std::size_t m, T* c, bool accumulate) {
    constexpr std::size_t S = Vec<T>::size;
    std::size_t j = 0;
    for (; j + 4 * S <= m; j += 4 * S)
        scaled_rows_tile<4>(alpha, alpha_stride, b + j, ldb, k, c + j, accumulate);
    for (; j + S <= m; j += S)
        scaled_rows_tile<1>(alpha, alpha_stride, b + j, ldb, k, c + j, accumulate);
    for (; j < m; ++j) {
        T sum = accumulate ? c[j] : T(0);
        for (std::size_t p = 0; p < k; ++p) sum += alpha[p * alpha_stride] * b[p * ldb + j];
        c[j] = sum;
    }
}

/// out[r] = Σ_p x[p] · y[r][p] for R contiguous rows y[r]: R chains of vector sums.
template <std::size_t R, class T>
void dot_rows(const T* x, const T* const* y, std::size_t k, T* out) {
    constexpr std::size_t S = Vec<T>::size;
    Vec<T> sum[R];
    for (std::size_t r = 0; r < R; ++r) sum[r] = Vec<T>(T(0));
    std::size_t p = 0;
    for (; p + S <= k; p += S) {
        const Vec<T> xp = Vec<T>::load_unaligned(x + p);
        for (std::size_t r = 0; r < R; ++r)
            sum[r] = xsimd::fma(xp, Vec<T>::load_unaligned(y[r] + p), sum[r]);
    }
    for (std::size_t r = 0; r < R; ++r) {
        T total = xsimd::hadd(sum[r]);
        for (std::size_t q = p; q < k; ++q) total += x[q] * y[r][q];
        out[r] = total;
    }
}

/// Products of at most this many multiply-adds take loop_gemm: below it, setting up
/// row_gemm's register tiles costs more than the arithmetic (a 1x1 product: ~10 ns
/// instead of ~20, measured).
constexpr std::size_t kLoopGemmMaxProduct = 16;

/// The same product as blas_gemm as three plain loops, for a handful of values.
template <class T>
void loop_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, const T* a,
               std::size_t lda, const T* b, std::size_t ldb, T* c, bool accumulate) {
    // op(A)[i, p] = A[p, i] when transposed; likewise op(B)[p, j].
    const std::size_t a_row = ta ? 1 : lda, a_col = ta ? lda : 1;
    const std::size_t b_row = tb ? 1 : ldb, b_col = tb ? ldb : 1;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) {
            T sum = accumulate ? c[i * m + j] : T(0);
            for (std::size_t p = 0; p < k; ++p)
                sum += a[i * a_row + p * a_col] * b[p * b_row + j * b_col];
            c[i * m + j] = sum;
        }
}

/// The same product as blas_gemm, for small sizes, with SIMD registers holding the sums
/// (measured here: 30-60 ns for a 1x32 row times 32x32 where OpenBLAS takes 150-280 ns).
template <class T>
void row_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, const T* a,
              std::size_t lda, const T* b, std::size_t ldb, T* c, bool accumulate) {
    for (std::size_t i = 0; i < n; ++i) {
        T* ci = c + i * m;
        // Row i of op(A): op(A)[i, p] = alpha[p · alpha_stride].
        const T* alpha = ta ? a + i : a + i * lda;
        const std::size_t alpha_stride = ta ? lda : 1;
        if (!tb || k == 1) {
            // C[i, :] (+)= Σ_p op(A)[i, p] · op(B)[p, :]. With k = 1, op(B)'s single row
            // is B's contiguous column even when B is transposed.
            scaled_rows(alpha, alpha_stride, b, tb ? 0 : ldb, k, m, ci, accumulate);
        } else if (!ta) {
            // C[i, j] (+)= A[i, :] · B[j, :], four rows of B at a time.
            T sums[4];
            std::size_t j = 0;
            for (; j + 4 <= m; j += 4) {
                const T* rows[4] = {b + j * ldb, b + (j + 1) * ldb, b + (j + 2) * ldb,
                                    b + (j + 3) * ldb};
                dot_rows<4>(alpha, rows, k, sums);
                for (std::size_t r = 0; r < 4; ++r)
                    ci[j + r] = accumulate ? ci[j + r] + sums[r] : sums[r];
            }
            for (; j < m; ++j) {
                const T* row = b + j * ldb;
                dot_rows<1>(alpha, &row, k, sums);
                ci[j] = accumulate ? ci[j] + sums[0] : sums[0];
            }
        } else {
            // Aᵀ Bᵀ (rare): C[i, j] (+)= Σ_p A[p, i] · B[j, p]
            for (std::size_t j = 0; j < m; ++j) {
                T sum = 0;
                for (std::size_t p = 0; p < k; ++p) sum += alpha[p * alpha_stride] * b[j * ldb + p];
                ci[j] = accumulate ? ci[j] + sum : sum;
            }
        }
    }
}

/// op(A) op(B) into the row-major (n, m) buffer c, for op(A) of (n, k) and op(B) of
/// (k, m) stored in rows of lda and ldb elements; `accumulate` adds to what c holds. The
/// kernel is chosen by size (loop_gemm, row_gemm or BLAS).
template <class T>
void gemm_raw(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, const T* a,
              std::size_t lda, const T* b, std::size_t ldb, T* c, bool accumulate) {
    if (n == 0 || m == 0) return;
    if (k == 0) {
        if (!accumulate) std::fill_n(c, n * m, T(0));
        return;
    }
    if (n * m * k <= kLoopGemmMaxProduct)
        loop_gemm(ta, tb, n, m, k, a, lda, b, ldb, c, accumulate);
    else if (use_row_gemm(n, m, k))
        row_gemm(ta, tb, n, m, k, a, lda, b, ldb, c, accumulate);
    else
        blas_gemm(ta, tb, n, m, k, a, lda, b, ldb, c, accumulate);
}

/// A matrix operand (the last two axes of a tensor) as BLAS reads it in place: where
/// element (0, 0) of matrix 0 is, the distance between stored rows, whether the stored
/// matrix is the operand's transpose (a transposed view: BLAS's flag instead of a copy),
/// and the distances between matrices along the batch axes (0 where a view repeats one).
template <class T>
struct Operand {
    const T* data;
    std::size_t ld;
    bool flipped;
    Shape batch_strides;
};

/// x as an Operand: a contiguous tensor as it lies; a strided view whose matrices have
/// rows or columns of unit stride (a transpose of the last two axes, a narrow of the
/// columns) in place; any other through its contiguous copy (value()).
template <class T>
Operand<T> operand_of(const Tensor<T>& x) {
    const detail::Node<T>& node = *x.node();
    const std::size_t rank = x.dim();
    if (node.strided && rank >= 2) {
        const detail::Layout& l = node.strided->layout;
        const std::size_t r = l.shape[rank - 2], c = l.shape[rank - 1];
        const std::size_t sr = l.strides[rank - 2], sc = l.strides[rank - 1];
        const Shape batch(l.strides.begin(), l.strides.end() - 2);
        const T* data = node.strided->storage.data() + l.offset;
        // Matrices with a single row or column keep the copy: the small kernels read a
        // one-column operand as contiguous.
        if (r > 1 && c > 1 && sc == 1 && sr >= c) return {data, sr, false, batch};
        if (r > 1 && c > 1 && sr == 1 && sc >= r) return {data, sc, true, batch};
    }
    const Array<T>& v = x.value();
    const Shape& s = x.shape();
    Shape batch(rank >= 2 ? rank - 2 : 0, 0);
    std::size_t step = rank >= 2 ? s[rank - 2] * s[rank - 1] : 0;
    for (std::size_t d = batch.size(); d-- > 0;) {
        batch[d] = step;
        step *= s[d];
    }
    return {v.data(), rank >= 1 ? s[rank - 1] : 1, false, batch};
}

/// op(A) op(B) into `out` of shape (n, m), for 2-D a and b read in place (operand_of);
/// `accumulate` adds to what `out` holds.
template <class T>
void gemm_into(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb, T* out, bool accumulate) {
    const Shape sa = a.shape(), sb = b.shape();
    const std::size_t n = ta ? sa[1] : sa[0];
    const std::size_t k = ta ? sa[0] : sa[1];
    const std::size_t m = tb ? sb[0] : sb[1];
    const Operand<T> A = operand_of(a), B = operand_of(b);
    gemm_raw(ta != A.flipped, tb != B.flipped, n, m, k, A.data, A.ld, B.data, B.ld, out,
             accumulate);
}

std::string gemm_operand(const Shape& s, bool t) { return shape_str(s) + (t ? "ᵀ" : ""); }

/// The backward of C = Â B̂ with Â = op(A), B̂ = op(B) (one matrix or a batch of them), A
/// and B saved as the entry's tensors 0 and 1:  dÂ = G B̂ᵀ,  dB̂ = Âᵀ G. Transposed back
/// to A's and B's layout, every product stays a product with flags:
/// `times(i, X, Y, tx, ty)` forms op(X) op(Y) as input i's gradient.
template <class T, class Times>
void add_product_grads(BackwardContext<T>& c, bool ta, bool tb, Times times) {
    const Tensor<T>& g = c.grad();
    const Tensor<T>& A = c.saved(0);
    const Tensor<T>& B = c.saved(1);
    if (c.needs(0)) c.add(0, ta ? times(0, B, g, tb, true) : times(0, g, B, false, !tb));
    if (c.needs(1)) c.add(1, tb ? times(1, g, A, true, ta) : times(1, A, g, !ta, false));
}

/// op(A) op(B) inside a backward: the recorded gemm op when the sweep records
/// (create_graph), else the product straight into a new tensor, without gemm's checks
/// (the forward made them) or a look for a recording tape.
template <class T>
Tensor<T> backward_gemm(const BackwardContext<T>& c, const Tensor<T>& a, const Tensor<T>& b,
                        bool ta, bool tb) {
    if (c.create_graph()) return gemm(a, b, ta, tb);
    const Shape sa = a.shape(), sb = b.shape();
    Tensor<T> out = Tensor<T>::uninitialized({ta ? sa[1] : sa[0], tb ? sb[0] : sb[1]});
    gemm_into(a, b, ta, tb, out.node()->value.data(), false);
    return out;
}

/// The recorded product op(A) op(B), shapes checked; it records under `name` (the op the
/// user called: gemm, or matmul, which is made of it).
template <class T>
Tensor<T> product(const char* name, const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    const Shape sa = a.shape(), sb = b.shape();
    TG_CHECK(sa.size() == 2 && sb.size() == 2, ShapeError, name,
             ": needs two 2-D tensors, got shapes ", sa, " and ", sb);
    const std::size_t n = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1];
    const std::size_t kb = tb ? sb[1] : sb[0], m = tb ? sb[0] : sb[1];
    TG_CHECK(k == kb, ShapeError, name, ": inner dimensions differ: ", gemm_operand(sa, ta), " @ ",
             gemm_operand(sb, tb), " (", k, " vs ", kb, ")");
    Tensor<T> y = Tensor<T>::uninitialized({n, m});
    gemm_into(a, b, ta, tb, y.node()->value.data(), false);
    record(name, {a, b}, y, {a, b}, [ta, tb](BackwardContext<T>& c) {
        add_product_grads(
            c, ta, tb, [&c](std::size_t, const Tensor<T>& x, const Tensor<T>& z, bool tx, bool tz) {
                return backward_gemm(c, x, z, tx, tz);
            });
    });
    return y;
}

/// (..., k) @ (k, m) or (k): one product over all of a's rows, which are contiguous (one
/// GEMM whatever a's rank). A vector a is the single row (1, k) and a vector b the column
/// (k, 1); their axes are removed from the result, as numpy does. Records under `name`.
template <class T>
Tensor<T> rows_times_matrix(const char* name, const Tensor<T>& a, const Tensor<T>& b) {
    const Shape sa = a.shape(), sb = b.shape();
    const std::size_t k = sa.back();
    Shape out(sa.begin(), sa.end() - 1);  // a's leading axes, then b's columns
    std::size_t n = 1;
    for (std::size_t size : out) n *= size;
    if (sb.size() == 2) out.push_back(sb[1]);
    const Tensor<T> rows = sa.size() == 2 ? a : reshape(a, {n, k});
    const Tensor<T> matrix = sb.size() == 2 ? b : reshape(b, {k, 1});
    return reshape(product(name, rows, matrix, false, false), out);
}

/// A shape without its last two axes (the matrix): the batch axes of a batched product.
Shape batch_of(const Shape& s) { return Shape(s.begin(), s.end() - 2); }

/// numpy's checks for matmul on operands of rank >= 1: a's last axis against b's
/// second-to-last (its only one for a vector), and the batch axes broadcast. Throws a
/// ShapeError naming both shapes and what was expected.
void check_matmul_shapes(const Shape& sa, const Shape& sb) {
    TG_CHECK(!sa.empty() && !sb.empty(), ShapeError,
             "matmul: needs tensors of at least 1 dimension (numpy and PyTorch refuse a 0-d "
             "operand; multiply by a scalar with mul); got ",
             sa, " @ ", sb);
    const std::size_t ka = sa.back(), kb = sb.size() == 1 ? sb[0] : sb[sb.size() - 2];
    TG_CHECK(ka == kb, ShapeError, "matmul: inner dimensions differ: ", sa, " @ ", sb, " (", ka,
             " vs ", kb, "): a's last dimension must equal b's ",
             (sb.size() == 1 ? "only" : "second-to-last"), " dimension");
    if (sa.size() < 3 || sb.size() < 3) return;  // a vector or a matrix broadcasts
    const Shape ba = batch_of(sa), bb = batch_of(sb);
    bool broadcast = true;  // aligned from the right, each pair equal or one of them 1
    for (std::size_t i = 1; i <= std::min(ba.size(), bb.size()); ++i) {
        const std::size_t da = ba[ba.size() - i], db = bb[bb.size() - i];
        broadcast = broadcast && (da == db || da == 1 || db == 1);
    }
    TG_CHECK(broadcast, ShapeError, "matmul: batch dimensions ", ba, " and ", bb, " of ", sa, " @ ",
             sb,
             " cannot be broadcast together (sizes must be equal or 1, aligned from the right)");
}

/// For each index of `batch` in row-major order, the offset (in elements) of the matching
/// matrix in a tensor whose own batch shape `own`, `own_strides` elements apart, broadcasts
/// to `batch`: aligned from the right, an axis of size 1 or a missing one repeats its
/// matrix.
std::vector<std::size_t> batch_positions(const Shape& own, const Shape& own_strides,
                                         const Shape& batch) {
    const std::size_t rank = batch.size(), lead = rank - own.size();
    std::vector<std::size_t> stride(rank, 0);  // 0 where the matrix repeats
    for (std::size_t d = own.size(); d-- > 0;)
        if (own[d] != 1) stride[lead + d] = own_strides[d];
    std::size_t count = 1;
    for (std::size_t size : batch) count *= size;
    std::vector<std::size_t> positions(count);
    std::vector<std::size_t> index(rank, 0);
    std::size_t position = 0;
    for (std::size_t i = 0; i < count; ++i) {
        positions[i] = position;
        for (std::size_t d = rank; d-- > 0;) {  // the next index, as an odometer
            if (++index[d] < batch[d]) {
                position += stride[d];
                break;
            }
            position -= stride[d] * (batch[d] - 1);
            index[d] = 0;
        }
    }
    return positions;
}

/// C[i] = op(A[i]) op(B[i]) for each index i of the broadcast batch of a and b (rank >= 2,
/// last two axes the matrices), each by gemm_raw. c's batch shape broadcasts to that
/// batch; where it is smaller, the products that fall on one of its matrices are summed
/// there (a broadcast operand's gradient: the product, then sum_to, in one pass).
template <class T>
void batched_gemm_into(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb, Array<T>& c) {
    const Shape sa = a.shape(), sb = b.shape(), sc(c.shape());
    const std::size_t ra = sa[sa.size() - 2], ca = sa.back(), rb = sb[sb.size() - 2],
                      cb = sb.back();
    const std::size_t n = ta ? ca : ra, k = ta ? ra : ca, m = tb ? rb : cb;
    const Shape batch = detail::broadcast_shapes("matmul", batch_of(sa), batch_of(sb));
    const Operand<T> A = operand_of(a), B = operand_of(b);
    Shape c_strides(sc.size() - 2, n * m);
    for (std::size_t d = c_strides.size(); d-- > 1;) c_strides[d - 1] = c_strides[d] * sc[d];
    const std::vector<std::size_t> pa = batch_positions(batch_of(sa), A.batch_strides, batch),
                                   pb = batch_positions(batch_of(sb), B.batch_strides, batch),
                                   pc = batch_positions(batch_of(sc), c_strides, batch);
    // Fewer matrices in c than products (an empty batch included): sum into zeros.
    const bool sums = c.size() != pc.size() * n * m;
    if (sums) std::fill(c.begin(), c.end(), T(0));
    for (std::size_t i = 0; i < pc.size(); ++i)
        gemm_raw(ta != A.flipped, tb != B.flipped, n, m, k, A.data + pa[i], A.ld, B.data + pb[i],
                 B.ld, c.data() + pc[i], sums);
}

template <class T>
Tensor<T> batched_product(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb);

/// op(X) op(Y) summed to the shape of input i, inside the batched backward: the recorded
/// batched product and sum_to when the sweep records (create_graph), else straight into
/// a tensor of input i's shape.
template <class T>
Tensor<T> backward_batched(const BackwardContext<T>& c, std::size_t i, const Tensor<T>& x,
                           const Tensor<T>& y, bool tx, bool ty) {
    if (c.create_graph()) return sum_to(batched_product(x, y, tx, ty), c.input_shape(i));
    Tensor<T> out = Tensor<T>::uninitialized(c.input_shape(i));
    batched_gemm_into(x, y, tx, ty, out.node()->value);
    return out;
}

/// op(A) op(B) over the broadcast batch axes of a and b (shapes checked by matmul), one
/// product per batch item: the recorded op behind matmul when b has batch axes. Its
/// backward is add_product_grads, each gradient summed over the axes its input was
/// broadcast along.
template <class T>
Tensor<T> batched_product(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    const Shape sa = a.shape(), sb = b.shape();
    Shape out = detail::broadcast_shapes("matmul", batch_of(sa), batch_of(sb));
    out.push_back(ta ? sa.back() : sa[sa.size() - 2]);
    out.push_back(tb ? sb[sb.size() - 2] : sb.back());
    Tensor<T> y = Tensor<T>::uninitialized(out);
    batched_gemm_into(a, b, ta, tb, y.node()->value);
    record("matmul", {a, b}, y, {a, b}, [ta, tb](BackwardContext<T>& c) {
        add_product_grads(c, ta, tb,
                          [&c](std::size_t i, const Tensor<T>& x, const Tensor<T>& z, bool tx,
                               bool tz) { return backward_batched(c, i, x, z, tx, tz); });
    });
    return y;
}

}  // namespace

template <class T>
Tensor<T> gemm(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    return product("gemm", a, b, ta, tb);
}

template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
    const Shape sa = a.shape(), sb = b.shape();
    if (sa.size() == 2 && sb.size() == 2) return product("matmul", a, b, false, false);
    check_matmul_shapes(sa, sb);
    if (sb.size() <= 2) return rows_times_matrix("matmul", a, b);
    if (sa.size() >= 2) return batched_product(a, b, false, false);
    // (k) @ (..., k, m): a is the matrix (1, k), and its row axis is removed after.
    Shape out(sb.begin(), sb.end() - 2);
    out.push_back(sb.back());
    return reshape(batched_product(reshape(a, {1, sa[0]}), b, false, false), out);
}

template <class T>
Tensor<T> dot(const Tensor<T>& a, const Tensor<T>& b) {
    const Shape sa = a.shape(), sb = b.shape();
    TG_CHECK(sa.size() == 1 && sb.size() == 1 && sa[0] == sb[0], ShapeError,
             "dot: needs two 1-D tensors of the same size (use matmul for other ranks); got "
             "shapes ",
             sa, " and ", sb);
    return rows_times_matrix("dot", a, b);
}

template <class T>
Tensor<T> outer(const Tensor<T>& a, const Tensor<T>& b) {
    const Shape sa = a.shape(), sb = b.shape();
    TG_CHECK(sa.size() == 1 && sb.size() == 1, ShapeError,
             "outer: needs two 1-D tensors; got shapes ", sa, " and ", sb);
    // The column a (n, 1) times the row b (1, m): a product with k = 1.
    return product("outer", reshape(a, {sa[0], 1}), reshape(b, {1, sb[0]}), false, false);
}

/// The backward of y = x Wᵀ (+ b) over the `rows` rows of x (..., in), x and W saved as
/// the entry's tensors 0 and 1:  dx = G W,  dW = Gᵀ x,  db = Σ_rows G. Straight into new
/// tensors, or with recorded ops on the (rows, ·) reshapes when the sweep records.
template <class T>
void linear_backward(BackwardContext<T>& c, std::size_t rows, bool has_bias) {
    const Tensor<T>& g = c.grad();
    const Tensor<T>& x = c.saved(0);
    const Tensor<T>& w = c.saved(1);
    const std::size_t in = w.shape()[1], out = w.shape()[0];
    if (c.create_graph()) {
        const Tensor<T> g2 = g.dim() == 2 ? g : reshape(g, {rows, out});
        if (c.needs(0)) c.add(0, reshape(gemm(g2, w, false, false), c.input_shape(0)));
        if (c.needs(1)) c.add(1, gemm(g2, x.dim() == 2 ? x : reshape(x, {rows, in}), true, false));
        if (has_bias && c.needs(2)) c.add(2, sum(g2, {0}));
        return;
    }
    const T* pg = g.value().data();
    if (c.needs(0)) {
        Tensor<T> dx = Tensor<T>::uninitialized(c.input_shape(0));
        gemm_raw(false, false, rows, in, out, pg, out, w.value().data(), in,
                 dx.node()->value.data(), false);
        c.add(0, dx);
    }
    if (c.needs(1)) {
        Tensor<T> dw = Tensor<T>::uninitialized({out, in});
        gemm_raw(true, false, out, in, rows, pg, out, x.value().data(), in, dw.node()->value.data(),
                 false);
        c.add(1, dw);
    }
    if (has_bias && c.needs(2)) {
        Tensor<T> db = Tensor<T>::uninitialized({out});
        detail::sum_rows(pg, rows, out, db.node()->value.data());
        c.add(2, db);
    }
}

template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias) {
    const auto &sx = x.value().shape(), &sw = weight.value().shape();
    const bool has_bias = bias.defined();
    TG_CHECK(!sx.empty() && sw.size() == 2 && sx.back() == sw[1] &&
                 (!has_bias || (bias.dim() == 1 && bias.shape()[0] == sw[0])),
             ShapeError,
             "linear: needs x (..., in), weight (out, in) and bias (out) or none; got x ", sx,
             ", weight ", sw,
             (has_bias ? ", bias " + shape_str(bias.value().shape()) : ", no bias"));
    const std::size_t in = sw[1], out_features = sw[0];
    std::size_t rows = 1;  // x's leading axes, flattened: its rows are contiguous
    for (std::size_t a = 0; a + 1 < sx.size(); ++a) rows *= sx[a];
    Shape out_shape(sx.begin(), sx.end() - 1);
    out_shape.push_back(out_features);
    // y = x Wᵀ + b: the bias rows are written first, then GEMM accumulates onto them.
    Tensor<T> y = Tensor<T>::uninitialized(out_shape);
    T* out = y.node()->value.data();
    if (has_bias)
        for (std::size_t r = 0; r < rows; ++r)
            std::copy_n(bias.value().data(), out_features, out + r * out_features);
    gemm_raw(false, true, rows, out_features, in, x.value().data(), in, weight.value().data(), in,
             out, has_bias);
    if (has_bias)
        record("linear", {x, weight, bias}, y, {x, weight},
               [rows](BackwardContext<T>& c) { linear_backward(c, rows, true); });
    else
        record("linear", {x, weight}, y, {x, weight},
               [rows](BackwardContext<T>& c) { linear_backward(c, rows, false); });
    return y;
}

#define TG_INSTANTIATE(T)                                                    \
    template Tensor<T> gemm(const Tensor<T>&, const Tensor<T>&, bool, bool); \
    template Tensor<T> matmul(const Tensor<T>&, const Tensor<T>&);           \
    template Tensor<T> dot(const Tensor<T>&, const Tensor<T>&);              \
    template Tensor<T> outer(const Tensor<T>&, const Tensor<T>&);            \
    template Tensor<T> linear(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
