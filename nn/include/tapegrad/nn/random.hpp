#pragma once
// Portable random numbers: the same seed gives the same values on every machine.
//
// The standard distributions (std::uniform_real_distribution, std::normal_distribution,
// std::shuffle) are implementation-defined: libstdc++ and libc++ draw different values
// from the same engine. std::mt19937_64 itself is fully specified, so everything here is
// built from its raw 64-bit outputs with fixed formulas.

#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace tg::nn {

/// The engine every seeded function takes: fully specified by the C++ standard.
using Rng = std::mt19937_64;

/// The generator used when no RNG is passed (Dense(in, out) without one). Seeded with
/// kDefaultSeed at thread start; tg::nn::manual_seed re-seeds it. In a worker of a
/// tg::nn::DataParallel step it is the worker's copy of the calling thread's generator,
/// written back to it after the step (docs/threads.md).
Rng& default_rng();
/// The seed of every thread's default_rng() at thread start.
inline constexpr std::uint64_t kDefaultSeed = 5489;
/// Re-seeds this thread's default_rng(), as torch.manual_seed does.
void manual_seed(std::uint64_t seed);

/// The full state of `rng`: the numbers the standard library's operator<< writes for it
/// (libstdc++: the 312 words of the Mersenne Twister's state, then the position in them).
/// Draws after set_rng_state(other, rng_state(rng)) equal rng's draws.
std::vector<std::uint64_t> rng_state(const Rng& rng);
/// Restores a state rng_state() returned. tg::ValueError when `state` has another length,
/// and then `rng` is unchanged.
void set_rng_state(Rng& rng, const std::vector<std::uint64_t>& state);

/// Uniform in [0, 1): the top 53 bits of one output, times 2⁻⁵³ (exact in double).
double uniform01(Rng& rng);

/// Uniform in [lo, hi): lo + (hi − lo)·u, with an explicit fused multiply-add so that a
/// compiler contracting or not contracting it cannot change the result.
double uniform(Rng& rng, double lo, double hi);

/// A standard normal draw by Box–Muller: √(−2 ln u₁) · cos(2π u₂), u₁ ∈ (0, 1], u₂ ∈ [0, 1).
/// Uses two outputs of the engine per value.
double standard_normal(Rng& rng);

/// Uniform integer in [0, n) without modulo bias (rejection on the top of the range).
/// n must be > 0.
std::uint64_t uniform_index(Rng& rng, std::uint64_t n);

/// 0, 1, ..., n − 1 in a random order (Fisher–Yates with uniform_index).
std::vector<std::size_t> random_permutation(std::size_t n, Rng& rng);

}  // namespace tg::nn

namespace tg {

/// A tensor of `shape` with values uniform in [0, 1), drawn in row-major order with
/// tg::nn::uniform01 (torch.rand with a generator): the same seed gives the same values
/// on every machine. In float, a draw that rounds up to 1 becomes the largest float
/// below 1.
template <class T = double>
Tensor<T> rand(const Shape& shape, nn::Rng& rng, bool requires_grad = false);

/// A tensor of `shape` with standard normal values, tg::nn::standard_normal in row-major
/// order (torch.randn with a generator).
template <class T = double>
Tensor<T> randn(const Shape& shape, nn::Rng& rng, bool requires_grad = false);

/// rand of x's shape and element type (torch.rand_like, with a generator).
template <class T>
Tensor<T> rand_like(const Tensor<T>& x, nn::Rng& rng, bool requires_grad = false);

/// randn of x's shape and element type (torch.randn_like, with a generator).
template <class T>
Tensor<T> randn_like(const Tensor<T>& x, nn::Rng& rng, bool requires_grad = false);

}  // namespace tg
