#pragma once
// Inverted dropout, as torch.nn.functional.dropout, seeded from a tg::nn::Rng.

#include <tapegrad/tensor.hpp>

#include <random>

namespace tg {

/// Inverted dropout: each element is zeroed with probability p, and the ones kept are
/// scaled by 1 / (1 − p), so E[y] = x. y = x ⊙ m with the mask m (0 or 1 / (1 − p) per
/// element), composed as mul(x, m): the mask is saved for backward, d/dx = g ⊙ m, and
/// higher derivatives come from mul's.
///
/// `rng` is a tg::nn::Rng (std::mt19937_64; ops do not include nn): element i, in
/// row-major order, is kept when the i-th draw u = tg::nn::uniform01(rng) is below 1 − p,
/// one draw per element, so a seed gives the same mask on every machine. As in PyTorch,
/// training = false or p = 0 returns x itself, and p = 1 gives zeros (gradient 0); these
/// draw nothing. A p outside [0, 1] (or NaN) is a tg::ValueError.
///
/// In a tg::nn::DataParallel step split between workers, x is a worker's block of the
/// batch's rows (axis 0, or a multiple of it, batch-major): the worker draws from its own
/// copy of `rng`, past the draws of the rows before its block, so every element gets the
/// draw one thread would give it, and `rng` ends where one thread's would (DataParallel
/// writes it back after the step; docs/threads.md). An x whose axis 0 is not a multiple of
/// the worker's rows is a tg::ValueError there.
template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p, std::mt19937_64& rng, bool training = true);

}  // namespace tg
