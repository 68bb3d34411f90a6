#include "data.hpp"

namespace sequence {

template <class T>
Sequences<T> adding_problem(std::size_t n, std::size_t length, tg::nn::Rng& rng) {
    Sequences<T> d{tg::Array<T>::from_shape({n, length, 2}), tg::Array<T>::from_shape({n, 1})};
    d.x.fill(T(0));
    const std::size_t half = length / 2;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t t = 0; t < length; ++t) d.x(i, t, 0) = T(tg::nn::uniform01(rng));
        const std::size_t first = tg::nn::uniform_index(rng, half);
        const std::size_t second = half + tg::nn::uniform_index(rng, length - half);
        d.x(i, first, 1) = T(1);
        d.x(i, second, 1) = T(1);
        // The sum of the stored values, so that float data have an exact float target.
        d.y(i, 0) = T(double(d.x(i, first, 0)) + double(d.x(i, second, 0)));
    }
    return d;
}

template <class T>
double constant_mse(const Sequences<T>& data, double constant) {
    double sum = 0;
    for (const T y : data.y) sum += (double(y) - constant) * (double(y) - constant);
    return sum / double(data.size());
}

template Sequences<float> adding_problem<float>(std::size_t, std::size_t, tg::nn::Rng&);
template Sequences<double> adding_problem<double>(std::size_t, std::size_t, tg::nn::Rng&);
template double constant_mse<float>(const Sequences<float>&, double);
template double constant_mse<double>(const Sequences<double>&, double);

}  // namespace sequence
