#pragma once
// Helpers shared by the op tests: seeded random arrays, shape names, value comparison.

#include <tapegrad/error.hpp>
#include <tapegrad/gradcheck.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

namespace tg::test {

/// A seed that is the same on every platform (FNV-1a), so a failing row reproduces.
inline std::uint64_t seed_of(const std::string& name) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
    return h;
}

/// Values uniform in [lo, hi] of the given shape.
template <class T>
xt::xarray<T> random_array(const Shape& shape, std::mt19937_64& rng, double lo = -1.5,
                           double hi = 1.5) {
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    std::uniform_real_distribution<double> u(lo, hi);
    for (auto& e : a) e = static_cast<T>(u(rng));
    return a;
}

/// "3x4" for (3, 4), "s" for a 0-d shape: usable in a GoogleTest name.
inline std::string shape_name(const Shape& s) {
    if (s.empty()) return "s";
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
    return out;
}

/// Same shape and every element within atol + rtol·|expected|.
template <class T, class E>
::testing::AssertionResult all_close(const Tensor<T>& actual, const E& expected_expr, double rtol,
                                     double atol) {
    const xt::xarray<T> expected = expected_expr;
    const Shape got = actual.shape();
    const Shape want(expected.shape().begin(), expected.shape().end());
    if (got != want)
        return ::testing::AssertionFailure()
               << "shape " << shape_str(got) << ", expected " << shape_str(want);
    const T* a = actual.value().data();
    const T* b = expected.data();
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double diff = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
        if (!(diff <= atol + rtol * std::abs(static_cast<double>(b[i]))))
            return ::testing::AssertionFailure()
                   << "element " << i << " of shape " << shape_str(want) << ": got " << a[i]
                   << ", expected " << b[i] << " (|diff| " << diff << ")";
    }
    return ::testing::AssertionSuccess();
}

/// Runs `op` on a tape and expects an E whose message contains `part`, nothing recorded.
template <class E>
void expect_error(const std::function<void()>& op, const std::string& part) {
    Tape tape;
    try {
        op();
        ADD_FAILURE() << "no error; expected one containing: " << part;
    } catch (const E& e) {
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
            << "got: " << e.what() << "\nexpected: " << part;
    }
    EXPECT_EQ(tape.size(), 0u) << part;
}

}  // namespace tg::test
