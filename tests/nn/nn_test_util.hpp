#pragma once
// Helpers shared by the nn tests: the blog workload, norm-wise relative error.

#include <tapegrad/tapegrad.hpp>

#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

// TG_TEST_UNDER_ASAN: AddressSanitizer is compiled in (its quarantine grows the resident
// set by design, so memory-flatness tests measure less or differently there).
#if defined(__SANITIZE_ADDRESS__)
#define TG_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_TEST_UNDER_ASAN 1
#endif
#endif

namespace tg::test {

/// The resident set of this process in bytes (/proc/self/statm, second field).
inline std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t size_pages = 0, resident_pages = 0;
    statm >> size_pages >> resident_pages;
    return resident_pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// Norm-wise relative error max|a − b| / max(max|b|, tiny); a and b have equal sizes.
/// Returns +inf when the shapes differ.
template <class A, class B>
double relative_error(const A& a, const B& b) {
    if (!std::equal(a.shape().begin(), a.shape().end(), b.shape().begin(), b.shape().end()))
        return INFINITY;
    double diff = 0, scale = 0;
    auto ia = a.begin();
    for (auto ib = b.begin(); ib != b.end(); ++ib, ++ia) {
        diff = std::max(diff, std::abs(static_cast<double>(*ia) - static_cast<double>(*ib)));
        scale = std::max(scale, std::abs(static_cast<double>(*ib)));
    }
    return diff / std::max(scale, 1e-300);
}

/// The blog network of docs/design.md: Dense(1,32) Sigmoid, Dense(32,32) Sigmoid,
/// Dense(32,16) Sigmoid, Dense(16,16) Sigmoid, Dense(16,1) Tanh.
template <class T = double>
nn::Sequential<T> blog_network(nn::Rng& rng) {
    nn::Sequential<T> net;
    net.add(nn::Dense<T>(1, 32, rng)).add(nn::Sigmoid<T>());
    net.add(nn::Dense<T>(32, 32, rng)).add(nn::Sigmoid<T>());
    net.add(nn::Dense<T>(32, 16, rng)).add(nn::Sigmoid<T>());
    net.add(nn::Dense<T>(16, 16, rng)).add(nn::Sigmoid<T>());
    net.add(nn::Dense<T>(16, 1, rng)).add(nn::Tanh<T>());
    return net;
}

/// The blog data: x uniform in [−1, 1] of shape (N, 1) and
/// y = 0.8 · clip((0.75 − |x|) / 0.5, 0, 1).
template <class T = double>
struct BlogData {
    Array<T> x;
    Array<T> y;
};
template <class T = double>
BlogData<T> blog_data(std::size_t n, nn::Rng& rng) {
    BlogData<T> d{nn::uniform<T>({n, 1}, -1.0, 1.0, rng), Array<T>(Shape{n, 1})};
    for (std::size_t i = 0; i < n; ++i) {
        const double x = static_cast<double>(d.x(i, 0));
        d.y(i, 0) = static_cast<T>(0.8 * std::clamp((0.75 - std::abs(x)) / 0.5, 0.0, 1.0));
    }
    return d;
}

/// A path in this test run's own temporary directory, which is removed at exit.
inline std::string temp_path(const std::string& name) {
    struct Directory {
        std::filesystem::path path;
        ~Directory() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    };
    static const Directory dir{[] {
        auto p = std::filesystem::temp_directory_path() /
                 ("tapegrad_nn_tests_" + std::to_string(static_cast<long>(::getpid())));
        std::filesystem::create_directories(p);
        return p;
    }()};
    return (dir.path / name).string();
}

/// Every parameter's tape gradient of loss() (double) against central differences of
/// step 1e-6, to 1e-6 absolute.
inline void check_parameter_gradients(nn::Module<double>& m,
                                      const std::function<Tensor<double>()>& loss) {
    m.zero_grad();
    {
        Tape tape;
        tape.backward(loss());
    }
    const double eps = 1e-6;
    for (auto& [name, p] : m.named_parameters()) {
        const Array<double> grad = p.grad().value();
        for (std::size_t i = 0; i < p.size(); ++i) {
            const double keep = p.value().data()[i];
            p.mutable_value().data()[i] = keep + eps;
            const double up = loss().item();
            p.mutable_value().data()[i] = keep - eps;
            const double down = loss().item();
            p.mutable_value().data()[i] = keep;
            EXPECT_NEAR(grad.data()[i], (up - down) / (2 * eps), 1e-6) << name << "[" << i << "]";
        }
    }
}

}  // namespace tg::test
