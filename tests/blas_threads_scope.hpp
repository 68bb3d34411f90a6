#pragma once
// BlasThreads: tg::set_blas_threads(n) for a test's scope (the OpenBLAS count and the
// intra-op threads of tg::detail::parallel_for), the count before it restored after.

#include <tapegrad/threads.hpp>

namespace tg::test {

class BlasThreads {
public:
    explicit BlasThreads(int n) {
        tg::detail::apply_thread_policy();
        previous_ = tg::blas_threads();
        tg::set_blas_threads(n);
    }
    ~BlasThreads() { tg::set_blas_threads(previous_); }
    BlasThreads(const BlasThreads&) = delete;
    BlasThreads& operator=(const BlasThreads&) = delete;

private:
    int previous_;
};

}  // namespace tg::test
