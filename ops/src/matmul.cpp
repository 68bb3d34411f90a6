#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include <cblas.h>
#include <xsimd/xsimd.hpp>

#include <algorithm>

namespace tg {
namespace {

/// C = op(A) op(B) (+ C when accumulate) on row-major buffers; op transposes per flag.
void blas_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, const double* a,
               std::size_t lda, const double* b, std::size_t ldb, double* c, bool accumulate) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), 1.0, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), accumulate ? 1.0 : 0.0, c,
                static_cast<int>(m));
}
void blas_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, const float* a,
               std::size_t lda, const float* b, std::size_t ldb, float* c, bool accumulate) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), accumulate ? 1.0f : 0.0f, c,
                static_cast<int>(m));
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
/// (MEASURED here: 30-60 ns for a 1x32 row times 32x32 where OpenBLAS takes 150-280 ns).
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

/// op(A) op(B) into `out` of shape (n, m); `accumulate` adds to what `out` holds.
template <class T>
void gemm_into(const Array<T>& a, const Array<T>& b, bool ta, bool tb, Array<T>& out,
               bool accumulate) {
    const std::size_t n = ta ? a.shape()[1] : a.shape()[0];
    const std::size_t k = ta ? a.shape()[0] : a.shape()[1];
    const std::size_t m = tb ? b.shape()[0] : b.shape()[1];
    if (n == 0 || m == 0) return;
    if (k == 0) {
        if (!accumulate) std::fill(out.begin(), out.end(), T(0));
        return;
    }
    if (n * m * k <= kLoopGemmMaxProduct)
        loop_gemm(ta, tb, n, m, k, a.data(), a.shape()[1], b.data(), b.shape()[1], out.data(),
                  accumulate);
    else if (use_row_gemm(n, m, k))
        row_gemm(ta, tb, n, m, k, a.data(), a.shape()[1], b.data(), b.shape()[1], out.data(),
                   accumulate);
    else
        blas_gemm(ta, tb, n, m, k, a.data(), a.shape()[1], b.data(), b.shape()[1], out.data(),
                  accumulate);
}

std::string gemm_operand(const Shape& s, bool t) { return shape_str(s) + (t ? "ᵀ" : ""); }

/// op(A) op(B) inside a backward: the recorded gemm op when the sweep records
/// (create_graph), else the product straight into a new tensor, without gemm's checks
/// (the forward made them) or a look for a recording tape.
template <class T>
Tensor<T> backward_gemm(const BackwardContext<T>& c, const Tensor<T>& a, const Tensor<T>& b,
                        bool ta, bool tb) {
    if (c.create_graph()) return gemm(a, b, ta, tb);
    const auto &sa = a.value().shape(), &sb = b.value().shape();
    Tensor<T> out = Tensor<T>::uninitialized({ta ? sa[1] : sa[0], tb ? sb[0] : sb[1]});
    gemm_into(a.value(), b.value(), ta, tb, out.node()->value, false);
    return out;
}

/// The recorded product op(A) op(B), shapes checked; it records under `name` (the op the
/// user called: gemm, or matmul, which is made of it).
template <class T>
Tensor<T> product(const char* name, const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    const auto &sa = a.value().shape(), &sb = b.value().shape();
    if (sa.size() != 2 || sb.size() != 2)
        throw ShapeError(std::string(name) + ": needs two 2-D tensors, got shapes " + shape_str(sa) + " and " +
                         shape_str(sb));
    const std::size_t n = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1];
    const std::size_t kb = tb ? sb[1] : sb[0], m = tb ? sb[0] : sb[1];
    if (k != kb)
        throw ShapeError(std::string(name) + ": inner dimensions differ: " + gemm_operand(sa, ta) + " @ " +
                         gemm_operand(sb, tb) + " (" + std::to_string(k) + " vs " +
                         std::to_string(kb) + ")");
    Tensor<T> y = Tensor<T>::uninitialized({n, m});
    gemm_into(a.value(), b.value(), ta, tb, y.node()->value, false);
    record(name, {a, b}, y, {a, b}, [ta, tb](BackwardContext<T>& c) {
        // C = Â B̂ with Â = op(A), B̂ = op(B):  dÂ = G B̂ᵀ,  dB̂ = Âᵀ G; transposed back
        // to A's and B's layout, every product stays a gemm with flags.
        const Tensor<T>& g = c.grad();
        const Tensor<T>& A = c.saved(0);
        const Tensor<T>& B = c.saved(1);
        if (c.needs(0))
            c.add(0, ta ? backward_gemm(c, B, g, tb, true) : backward_gemm(c, g, B, false, !tb));
        if (c.needs(1))
            c.add(1, tb ? backward_gemm(c, g, A, true, ta) : backward_gemm(c, A, g, !ta, false));
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
    const bool supported = (sa.size() == 2 || sa.size() == 3) && sb.size() == 2;
    if (!supported)
        throw ShapeError("matmul: supports 2-D @ 2-D and batched 3-D @ 2-D; got shapes " +
                         shape_str(sa) + " and " + shape_str(sb));
    if (sa.back() != sb[0])
        throw ShapeError("matmul: inner dimensions differ: " + shape_str(sa) + " @ " +
                         shape_str(sb) + " (" + std::to_string(sa.back()) + " vs " +
                         std::to_string(sb[0]) + ")");
    if (sa.size() == 2) return product("matmul", a, b, false, false);
    // (B, n, k) @ (k, m): one GEMM over the B·n rows, which are contiguous.
    Tensor<T> flat = reshape(a, {sa[0] * sa[1], sa[2]});
    return reshape(product("matmul", flat, b, false, false), {sa[0], sa[1], sb[1]});
}

template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias) {
    const auto &sx = x.value().shape(), &sw = weight.value().shape(), &sb = bias.value().shape();
    if (sx.size() != 2 || sw.size() != 2 || sb.size() != 1 || sx[1] != sw[1] || sb[0] != sw[0])
        throw ShapeError("linear: needs x (N, in), weight (out, in), bias (out); got x " +
                         shape_str(sx) + ", weight " + shape_str(sw) + ", bias " + shape_str(sb));
    const std::size_t n = sx[0], out_features = sw[0];
    // y = x Wᵀ + b: the bias rows are written first, then GEMM accumulates onto them.
    Tensor<T> y = Tensor<T>::uninitialized({n, out_features});
    Array<T>& out = y.node()->value;
    const T* b = bias.value().data();
    for (std::size_t r = 0; r < n; ++r) std::copy_n(b, out_features, out.data() + r * out_features);
    gemm_into(x.value(), weight.value(), false, true, out, true);
    record("linear", {x, weight, bias}, y, {x, weight}, [](BackwardContext<T>& c) {
        // dx = G W,  dW = Gᵀ x,  db = Σ_rows G
        const Tensor<T>& g = c.grad();
        if (c.needs(0)) c.add(0, backward_gemm(c, g, c.saved(1), false, false));
        if (c.needs(1)) c.add(1, backward_gemm(c, g, c.saved(0), true, false));
        if (c.needs(2)) c.add(2, sum_to(g, c.input_shape(2)));
    });
    return y;
}

#define TG_INSTANTIATE(T)                                                    \
    template Tensor<T> gemm(const Tensor<T>&, const Tensor<T>&, bool, bool); \
    template Tensor<T> matmul(const Tensor<T>&, const Tensor<T>&);           \
    template Tensor<T> linear(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
