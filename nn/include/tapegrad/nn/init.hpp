#pragma once
// Seeded weight initializers. Every one takes an explicit tg::nn::Rng (or a seed) and
// draws through tg::nn::uniform / tg::nn::standard_normal, so the same seed gives the
// same weights on every machine and standard library.
//
// Fans follow PyTorch for a weight of shape (out, in): fan_in = in, fan_out = out; for a
// 1-D shape (a bias) both fans are its size.

#include <tapegrad/array.hpp>
#include <tapegrad/nn/random.hpp>

#include <cstdint>

namespace tg::nn {

/// Which rule draws a Dense layer's weight.
enum class Init {
    xavier_uniform,  ///< U(−a, a), a = gain·√(6 / (fan_in + fan_out))  (Glorot; the default)
    xavier_normal,   ///< N(0, σ²), σ = gain·√(2 / (fan_in + fan_out))
    he_uniform,      ///< U(−a, a), a = √(6 / fan_in)  (Kaiming, for ReLU)
    he_normal,       ///< N(0, σ²), σ = √(2 / fan_in)
    normal,          ///< N(0, 0.01²)
    zeros,           ///< all 0
    /// U(−b, b), b = 1/√fan_in: PyTorch's default for Linear and Conv weights
    /// (kaiming_uniform_ with a = √5). A Dense layer with this rule draws its bias from the
    /// same range, as torch.nn.Linear does (tg::nn::Linear).
    pytorch_default,
};

/// fan_in and fan_out of a weight of this shape (see the file comment).
struct Fans {
    /// Fan-in: inputs per output.
    std::size_t in = 0;
    /// Fan-out: outputs per input.
    std::size_t out = 0;
};
/// The fans of a weight of shape (out, in, k...), as PyTorch computes them: in·Πk and
/// out·Πk (a 1-D shape: its size twice; 0-d: 1 and 1).
Fans fans_of(const Shape& shape);

/// Independent draws from U(lo, hi).
template <class T = double>
Array<T> uniform(const Shape& shape, double lo, double hi, Rng& rng);
/// Independent draws from N(mean, std²) (Box–Muller).
template <class T = double>
Array<T> normal(const Shape& shape, double mean, double std, Rng& rng);
/// U(−a, a), a = gain·√(6 / (fan_in + fan_out)).
template <class T = double>
Array<T> xavier_uniform(const Shape& shape, Rng& rng, double gain = 1.0);
/// N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)).
template <class T = double>
Array<T> xavier_normal(const Shape& shape, Rng& rng, double gain = 1.0);
/// U(−a, a), a = √(6 / fan_in).
template <class T = double>
Array<T> he_uniform(const Shape& shape, Rng& rng);
/// N(0, σ²), σ = √(2 / fan_in).
template <class T = double>
Array<T> he_normal(const Shape& shape, Rng& rng);

/// The array that `rule` draws for `shape`.
template <class T = double>
Array<T> initialize(Init rule, const Shape& shape, Rng& rng);
/// The same from a fresh Rng seeded with `seed`.
template <class T = double>
Array<T> initialize(Init rule, const Shape& shape, std::uint64_t seed);

#define TG_NN_INIT_EXTERN(T)                                                 \
    extern template Array<T> uniform<T>(const Shape&, double, double, Rng&); \
    extern template Array<T> normal<T>(const Shape&, double, double, Rng&);  \
    extern template Array<T> xavier_uniform<T>(const Shape&, Rng&, double);  \
    extern template Array<T> xavier_normal<T>(const Shape&, Rng&, double);   \
    extern template Array<T> he_uniform<T>(const Shape&, Rng&);              \
    extern template Array<T> he_normal<T>(const Shape&, Rng&);               \
    extern template Array<T> initialize<T>(Init, const Shape&, Rng&);        \
    extern template Array<T> initialize<T>(Init, const Shape&, std::uint64_t);
TG_NN_INIT_EXTERN(float)
TG_NN_INIT_EXTERN(double)
#undef TG_NN_INIT_EXTERN

}  // namespace tg::nn
