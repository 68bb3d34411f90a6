#pragma once
// The blog workload (docs/design.md): its data and its network.

#include <tapegrad/nn/random.hpp>
#include <tapegrad/nn/sequential.hpp>

#include <cstddef>

namespace trapezoid {

/// The target: 0 for |x| >= 0.75, a flat top of 0.8 for |x| <= 0.25, linear ramps between.
///     y = 0.8 · clip((0.75 − |x|) / 0.5, 0, 1)
double trapezoid(double x);

/// n examples, x uniform in [−1, 1], as (n, 1) columns.
struct Data {
    tg::Array<double> x;
    tg::Array<double> y;
};
Data make_data(std::size_t n, tg::nn::Rng& rng);

/// Dense(1,32) Sigmoid, Dense(32,32) Sigmoid, Dense(32,16) Sigmoid, Dense(16,16) Sigmoid,
/// Dense(16,1) Tanh, weights drawn (Xavier uniform, biases 0) from `rng`.
tg::nn::Sequential<double> blog_network(tg::nn::Rng& rng);

/// √(mean (net(x) − y)²), computed without recording.
double test_rmse(tg::nn::Sequential<double>& net, const tg::Tensor<double>& x,
                 const tg::Tensor<double>& y);

}  // namespace trapezoid
