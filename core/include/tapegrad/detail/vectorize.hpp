#pragma once
// When an elementwise loop is worth handing to xtensor's xsimd-vectorized expressions.

#include <cstddef>

namespace tg::detail {

/// From this many elements on, an elementwise transcendental function (exp, tanh, log1p)
/// goes through xtensor's vectorized expression; below it a plain scalar loop is faster,
/// as the expression's fixed cost (a few hundred nanoseconds) outweighs the arithmetic
/// (benchmarks/README.md). The ops (ops/src/elementwise.hpp) and the manual-backprop
/// reference both use it.
inline constexpr std::size_t kVectorizedMinSize = 64;

}  // namespace tg::detail
