#pragma once
// The adding problem (Hochreiter & Schmidhuber 1997; as in Le, Jaitly & Hinton 2015 and
// Arjovsky et al. 2016): a sequence of L steps, each a value U(0, 1) and a marker; the
// marker is 1 at exactly two steps, one in the first half and one in the second, and 0
// elsewhere. The target is the sum of the two marked values. To answer, a model must
// remember the first marked value across at least L/2 steps.
//
// The target is the sum of two independent U(0, 1), mean 1 and variance 2/12: always
// predicting 1 has an expected squared error of 1/6 ≈ 0.167, the trivial baseline.

#include <tapegrad/tapegrad.hpp>

#include <cstddef>

namespace sequence {

/// A set of adding-problem sequences.
template <class T>
struct Sequences {
    tg::Array<T> x;  ///< (N, L, 2): [value, marker] at each step
    tg::Array<T> y;  ///< (N, 1): the sum of the two marked values
    std::size_t size() const { return y.shape()[0]; }
};

/// n sequences of `length` >= 2 steps drawn from `rng`: per sequence the L values
/// (uniform01, in step order), then the first marker's step (uniform in [0, ⌊L/2⌋)), then
/// the second's (uniform in [⌊L/2⌋, L)).
template <class T>
Sequences<T> adding_problem(std::size_t n, std::size_t length, tg::nn::Rng& rng);

/// The mean squared error of always predicting `constant` (the trivial baseline: 1).
template <class T>
double constant_mse(const Sequences<T>& data, double constant = 1.0);

}  // namespace sequence
