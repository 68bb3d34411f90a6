#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/detail/team.hpp>
#include <tapegrad/detail/uniform01.hpp>
#include <tapegrad/error.hpp>
#include <tapegrad/nn/random.hpp>

#include <cmath>
#include <numeric>
#include <sstream>

namespace tg::nn {

Rng& default_rng() {
    thread_local Rng rng(kDefaultSeed);
    // A DataParallel worker draws from its copy of the calling thread's generator, which
    // DataParallel writes back after the step (docs/threads.md).
    if (detail::TeamMember* member = detail::team_member(); member && member->default_rng)
        return member->stream(*member->default_rng);
    return rng;
}

void manual_seed(std::uint64_t seed) { default_rng().seed(seed); }

std::vector<std::uint64_t> rng_state(const Rng& rng) {
    std::stringstream text;
    text << rng;
    std::vector<std::uint64_t> state;
    std::uint64_t word = 0;
    while (text >> word) state.push_back(word);
    return state;
}

void set_rng_state(Rng& rng, const std::vector<std::uint64_t>& state) {
    const std::size_t size = rng_state(rng).size();
    TG_CHECK(state.size() == size, ValueError, "set_rng_state: a state of ", state.size(),
             " numbers; a tg::nn::Rng's state has ", size, " (as tg::nn::rng_state gives it)");
    // The standard library reads back every state it writes: any words, any position.
    std::stringstream text;
    for (const std::uint64_t word : state) text << word << ' ';
    Rng restored;
    text >> restored;
    rng = restored;
}

double uniform01(Rng& rng) { return detail::uniform01(rng); }

double uniform(Rng& rng, double lo, double hi) { return std::fma(hi - lo, uniform01(rng), lo); }

double standard_normal(Rng& rng) {
    constexpr double two_pi = 6.283185307179586476925286766559;
    const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log(u1) is finite
    const double u2 = uniform01(rng);
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = two_pi * u2;
    return radius * std::cos(angle);
}

std::uint64_t uniform_index(Rng& rng, std::uint64_t n) {
    TG_CHECK(n > 0, ValueError, "uniform_index: the range [0, n) is empty (n = 0); pass n > 0");
    // Accept draws below the largest multiple of n that fits in 64 bits.
    const std::uint64_t limit = (~std::uint64_t(0)) - ((~std::uint64_t(0)) % n + 1) % n;
    std::uint64_t r = rng();
    while (r > limit) r = rng();
    return r % n;
}

std::vector<std::size_t> random_permutation(std::size_t n, Rng& rng) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    for (std::size_t i = n; i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(uniform_index(rng, i));
        std::swap(order[i - 1], order[j]);
    }
    return order;
}

}  // namespace tg::nn

namespace tg {
namespace {

/// A tensor of `shape` whose values are draw() in row-major order.
template <class T, class Draw>
Tensor<T> drawn(const Shape& shape, bool requires_grad, Draw draw) {
    Tensor<T> out = Tensor<T>::uninitialized(shape);
    Array<T>& v = out.node()->value;
    for (std::size_t i = 0; i < v.size(); ++i) v.data()[i] = draw();
    out.set_requires_grad(requires_grad);
    return out;
}

}  // namespace

template <class T>
Tensor<T> rand(const Shape& shape, nn::Rng& rng, bool requires_grad) {
    detail::note_generator(rng);  // a checkpointed function draws the same again
    return drawn<T>(shape, requires_grad, [&] {
        const T u = static_cast<T>(nn::uniform01(rng));
        return u < T(1) ? u : std::nextafter(T(1), T(0));
    });
}

template <class T>
Tensor<T> randn(const Shape& shape, nn::Rng& rng, bool requires_grad) {
    detail::note_generator(rng);
    return drawn<T>(shape, requires_grad, [&] { return static_cast<T>(nn::standard_normal(rng)); });
}

template <class T>
Tensor<T> rand_like(const Tensor<T>& x, nn::Rng& rng, bool requires_grad) {
    return rand<T>(x.shape(), rng, requires_grad);
}

template <class T>
Tensor<T> randn_like(const Tensor<T>& x, nn::Rng& rng, bool requires_grad) {
    return randn<T>(x.shape(), rng, requires_grad);
}

template Tensor<float> rand<float>(const Shape&, nn::Rng&, bool);
template Tensor<double> rand<double>(const Shape&, nn::Rng&, bool);
template Tensor<float> randn<float>(const Shape&, nn::Rng&, bool);
template Tensor<double> randn<double>(const Shape&, nn::Rng&, bool);
template Tensor<float> rand_like<float>(const Tensor<float>&, nn::Rng&, bool);
template Tensor<double> rand_like<double>(const Tensor<double>&, nn::Rng&, bool);
template Tensor<float> randn_like<float>(const Tensor<float>&, nn::Rng&, bool);
template Tensor<double> randn_like<double>(const Tensor<double>&, nn::Rng&, bool);

}  // namespace tg
