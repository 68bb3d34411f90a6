#pragma once
// tg::detail::uniform01: the one uniform draw behind every seeded function, here in core
// so that ops (dropout) and nn (tg::nn::uniform01, rand, the initializers) draw the same
// numbers from the same engine without ops including nn.

#include <random>

namespace tg::detail {

/// Uniform in [0, 1): the top 53 bits of one output of the engine, times 2⁻⁵³ (exact in
/// double). std::mt19937_64 is fully specified by the C++ standard, and so is this
/// formula, so a seed gives the same value on every machine (the standard distributions
/// are implementation-defined).
inline double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace tg::detail
