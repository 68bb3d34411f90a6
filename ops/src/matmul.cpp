#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/record.hpp>

#include <cblas.h>

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
/// 1), of at most this many multiply-adds takes a plain loop: OpenBLAS's fixed cost per
/// call (argument checks, a buffer lock, packing) is 100-200 ns here, more than the loop
/// (MEASURED.md: a raw loop beat BLAS for a single row). Other shapes keep BLAS even when
/// small: there a loop accumulates long chains into few outputs and is slower.
constexpr std::size_t kSmallProduct = 4096;

bool use_small_gemm(std::size_t n, std::size_t m, std::size_t k) {
    return (n == 1 || k == 1) && n * m * k <= kSmallProduct;
}

/// Σ_p x[p] y[p] over contiguous x and y, in 8 independent partial sums (a vector register's
/// worth, so the compiler vectorizes it without reassociating a single sum).
template <class T>
T dot(const T* x, const T* y, std::size_t k) {
    constexpr std::size_t kLanes = 8;
    T partial[kLanes] = {};
    std::size_t p = 0;
    for (; p + kLanes <= k; p += kLanes)
        for (std::size_t l = 0; l < kLanes; ++l) partial[l] += x[p + l] * y[p + l];
    T sum = 0;
    for (T s : partial) sum += s;
    for (; p < k; ++p) sum += x[p] * y[p];
    return sum;
}

/// The same product as blas_gemm with plain loops, for small sizes. Each case keeps its
/// innermost loop on contiguous memory so the compiler vectorizes it, and writes C in one
/// pass (no zero fill first).
template <class T>
void small_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, const T* a,
                std::size_t lda, const T* b, std::size_t ldb, T* c, bool accumulate) {
    for (std::size_t i = 0; i < n; ++i) {
        T* ci = c + i * m;
        if (!tb || k == 1) {  // with k = 1, Bᵀ's single row is B's contiguous column
            // C[i, :] (+)= Σ_p op(A)[i, p] · op(B)[p, :], one row of B at a time
            for (std::size_t p = 0; p < k; ++p) {
                const T aip = ta ? a[p * lda + i] : a[i * lda + p];
                const T* bp = tb ? b : b + p * ldb;
                if (p == 0 && !accumulate)
                    for (std::size_t j = 0; j < m; ++j) ci[j] = aip * bp[j];
                else
                    for (std::size_t j = 0; j < m; ++j) ci[j] += aip * bp[j];
            }
        } else {
            // C[i, j] (+)= Σ_p op(A)[i, p] · B[j, p]
            for (std::size_t j = 0; j < m; ++j) {
                const T* bj = b + j * ldb;
                T sum = 0;
                if (ta)
                    for (std::size_t p = 0; p < k; ++p) sum += a[p * lda + i] * bj[p];
                else
                    sum = dot(a + i * lda, bj, k);
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
    if (use_small_gemm(n, m, k))
        small_gemm(ta, tb, n, m, k, a.data(), a.shape()[1], b.data(), b.shape()[1], out.data(),
                   accumulate);
    else
        blas_gemm(ta, tb, n, m, k, a.data(), a.shape()[1], b.data(), b.shape()[1], out.data(),
                  accumulate);
}

std::string gemm_operand(const Shape& s, bool t) { return shape_str(s) + (t ? "ᵀ" : ""); }

}  // namespace

template <class T>
Tensor<T> gemm(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    const Shape &sa = a.shape(), &sb = b.shape();
    if (sa.size() != 2 || sb.size() != 2)
        throw ShapeError("gemm: needs two 2-D tensors, got shapes " + shape_str(sa) + " and " +
                         shape_str(sb));
    const std::size_t n = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1];
    const std::size_t kb = tb ? sb[1] : sb[0], m = tb ? sb[0] : sb[1];
    if (k != kb)
        throw ShapeError("gemm: inner dimensions differ: " + gemm_operand(sa, ta) + " @ " +
                         gemm_operand(sb, tb) + " (" + std::to_string(k) + " vs " +
                         std::to_string(kb) + ")");
    Array<T> out = Array<T>::from_shape({n, m});
    gemm_into(a.value(), b.value(), ta, tb, out, false);
    Tensor<T> y(std::move(out));
    record("gemm", {a, b}, y, {a, b}, [ta, tb](BackwardContext<T>& c) {
        // C = Â B̂ with Â = op(A), B̂ = op(B):  dÂ = G B̂ᵀ,  dB̂ = Âᵀ G; transposed back
        // to A's and B's layout, every product stays a gemm with flags.
        const Tensor<T>& g = c.grad();
        const Tensor<T>& A = c.saved(0);
        const Tensor<T>& B = c.saved(1);
        if (c.needs(0)) c.add(0, ta ? gemm(B, g, tb, true) : gemm(g, B, false, !tb));
        if (c.needs(1)) c.add(1, tb ? gemm(g, A, true, ta) : gemm(A, g, !ta, false));
    });
    return y;
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
    if (sa.size() == 2) return gemm(a, b, false, false);
    // (B, n, k) @ (k, m): one GEMM over the B·n rows, which are contiguous.
    Tensor<T> flat = reshape(a, {sa[0] * sa[1], sa[2]});
    return reshape(gemm(flat, b, false, false), {sa[0], sa[1], sb[1]});
}

template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias) {
    const Shape &sx = x.shape(), &sw = weight.shape(), &sb = bias.shape();
    if (sx.size() != 2 || sw.size() != 2 || sb.size() != 1 || sx[1] != sw[1] || sb[0] != sw[0])
        throw ShapeError("linear: needs x (N, in), weight (out, in), bias (out); got x " +
                         shape_str(sx) + ", weight " + shape_str(sw) + ", bias " + shape_str(sb));
    const std::size_t n = sx[0], out_features = sw[0];
    // y = x Wᵀ + b: the bias rows are written first, then GEMM accumulates onto them.
    Array<T> out = Array<T>::from_shape({n, out_features});
    const T* b = bias.value().data();
    for (std::size_t r = 0; r < n; ++r) std::copy_n(b, out_features, out.data() + r * out_features);
    gemm_into(x.value(), weight.value(), false, true, out, true);
    Tensor<T> y(std::move(out));
    record("linear", {x, weight, bias}, y, {x, weight}, [](BackwardContext<T>& c) {
        // dx = G W,  dW = Gᵀ x,  db = Σ_rows G
        const Tensor<T>& g = c.grad();
        if (c.needs(0)) c.add(0, gemm(g, c.saved(1), false, false));
        if (c.needs(1)) c.add(1, gemm(g, c.saved(0), true, false));
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
