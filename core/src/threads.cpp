#include <tapegrad/check.hpp>
#include <tapegrad/threads.hpp>

#include <cblas.h>

#include <atomic>
#include <cstdlib>
#include <thread>

namespace tg {
namespace {

std::atomic<int> workers{0};  // 0: the number of cores

void check_count(const char* what, int n) {
    TG_CHECK(n >= 1, ValueError, what, "(", n, "): the number of threads must be at least 1");
}

}  // namespace

void set_num_threads(int n) {
    check_count("set_num_threads", n);
    workers = n;
}

int num_threads() {
    const int n = workers.load();
    if (n > 0) return n;
    const unsigned cores = std::thread::hardware_concurrency();
    return cores ? static_cast<int>(cores) : 1;
}

void set_blas_threads(int n) {
    check_count("set_blas_threads", n);
    detail::apply_thread_policy();  // so that a later first use does not undo this
    openblas_set_num_threads(n);
}

int blas_threads() { return openblas_get_num_threads(); }

namespace detail {

void apply_thread_policy() {
    static const bool applied = [] {
        if (!std::getenv("OPENBLAS_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS"))
            openblas_set_num_threads(1);
        return true;
    }();
    (void)applied;
}

}  // namespace detail
}  // namespace tg
