#pragma once
// The BLAS product of ops/ (private): C = alpha·op(A) op(B) + beta·C on row-major
// buffers, op transposing per flag, rows lda, ldb and ldc elements apart.

#include <cblas.h>

#include <cstddef>

namespace tg::detail {

inline void blas_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, double alpha,
                      const double* a, std::size_t lda, const double* b, std::size_t ldb,
                      double beta, double* c, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), alpha, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

inline void blas_gemm(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, float alpha,
                      const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
                      float* c, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), alpha, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

}  // namespace tg::detail
