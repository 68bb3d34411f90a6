#include <tapegrad/check.hpp>
#include <tapegrad/nn/init.hpp>

#include <cmath>
#include <functional>
#include <numeric>

namespace tg::nn {
namespace {

/// An array of `shape` whose elements are draw() in row-major order.
template <class T, class F>
Array<T> filled(const Shape& shape, F&& draw) {
    Array<T> out(shape);
    for (T& v : out) v = static_cast<T>(draw());
    return out;
}

void check_fans(const char* what, const Fans& f) {
    TG_CHECK(
        f.in > 0 && f.out > 0, ValueError, what,
        ": the weight has no elements (a zero fan); give every dimension a size of at least 1");
}

}  // namespace

Fans fans_of(const Shape& shape) {
    if (shape.empty()) return {1, 1};
    if (shape.size() == 1) return {shape[0], shape[0]};
    // (out, in, k...) as PyTorch: receptive field = product of the trailing sizes.
    const std::size_t receptive = std::accumulate(shape.begin() + 2, shape.end(), std::size_t(1),
                                                  std::multiplies<std::size_t>());
    return {shape[1] * receptive, shape[0] * receptive};
}

template <class T>
Array<T> uniform(const Shape& shape, double lo, double hi, Rng& rng) {
    TG_CHECK(lo <= hi, ValueError,
             "uniform: the bounds are reversed or NaN (lo = ", std::to_string(lo),
             ", hi = ", std::to_string(hi), "); pass lo <= hi");
    return filled<T>(shape, [&] { return nn::uniform(rng, lo, hi); });
}

template <class T>
Array<T> normal(const Shape& shape, double mean, double std, Rng& rng) {
    TG_CHECK(std >= 0, ValueError, "normal: the standard deviation must be >= 0, got ",
             std::to_string(std));
    return filled<T>(shape, [&] { return std::fma(std, standard_normal(rng), mean); });
}

template <class T>
Array<T> xavier_uniform(const Shape& shape, Rng& rng, double gain) {
    const Fans f = fans_of(shape);
    check_fans("xavier_uniform", f);
    const double a = gain * std::sqrt(6.0 / static_cast<double>(f.in + f.out));
    return uniform<T>(shape, -a, a, rng);
}

template <class T>
Array<T> xavier_normal(const Shape& shape, Rng& rng, double gain) {
    const Fans f = fans_of(shape);
    check_fans("xavier_normal", f);
    return normal<T>(shape, 0.0, gain * std::sqrt(2.0 / static_cast<double>(f.in + f.out)), rng);
}

template <class T>
Array<T> he_uniform(const Shape& shape, Rng& rng) {
    const Fans f = fans_of(shape);
    check_fans("he_uniform", f);
    const double a = std::sqrt(6.0 / static_cast<double>(f.in));
    return uniform<T>(shape, -a, a, rng);
}

template <class T>
Array<T> he_normal(const Shape& shape, Rng& rng) {
    const Fans f = fans_of(shape);
    check_fans("he_normal", f);
    return normal<T>(shape, 0.0, std::sqrt(2.0 / static_cast<double>(f.in)), rng);
}

template <class T>
Array<T> initialize(Init rule, const Shape& shape, Rng& rng) {
    switch (rule) {
        case Init::xavier_uniform: return xavier_uniform<T>(shape, rng);
        case Init::xavier_normal: return xavier_normal<T>(shape, rng);
        case Init::he_uniform: return he_uniform<T>(shape, rng);
        case Init::he_normal: return he_normal<T>(shape, rng);
        case Init::normal: return normal<T>(shape, 0.0, 0.01, rng);
        case Init::zeros: return filled<T>(shape, [] { return 0.0; });
        case Init::pytorch_default: {
            const Fans f = fans_of(shape);
            check_fans("pytorch_default", f);
            const double b = 1.0 / std::sqrt(static_cast<double>(f.in));
            return uniform<T>(shape, -b, b, rng);
        }
    }
    throw ValueError("initialize: unknown tg::nn::Init value " +
                     std::to_string(static_cast<int>(rule)));
}

template <class T>
Array<T> initialize(Init rule, const Shape& shape, std::uint64_t seed) {
    Rng rng(seed);
    return initialize<T>(rule, shape, rng);
}

#define TG_NN_INIT_INSTANTIATE(T)                                     \
    template Array<T> uniform<T>(const Shape&, double, double, Rng&); \
    template Array<T> normal<T>(const Shape&, double, double, Rng&);  \
    template Array<T> xavier_uniform<T>(const Shape&, Rng&, double);  \
    template Array<T> xavier_normal<T>(const Shape&, Rng&, double);   \
    template Array<T> he_uniform<T>(const Shape&, Rng&);              \
    template Array<T> he_normal<T>(const Shape&, Rng&);               \
    template Array<T> initialize<T>(Init, const Shape&, Rng&);        \
    template Array<T> initialize<T>(Init, const Shape&, std::uint64_t);
TG_NN_INIT_INSTANTIATE(float)
TG_NN_INIT_INSTANTIATE(double)

}  // namespace tg::nn
