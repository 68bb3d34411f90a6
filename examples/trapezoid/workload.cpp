#include "workload.hpp"

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn/activation.hpp>
#include <tapegrad/nn/dense.hpp>
#include <tapegrad/nn/losses.hpp>

#include <algorithm>
#include <cmath>

namespace trapezoid {

double trapezoid(double x) { return 0.8 * std::clamp((0.75 - std::abs(x)) / 0.5, 0.0, 1.0); }

Data make_data(std::size_t n, tg::nn::Rng& rng) {
    Data d{tg::Array<double>::from_shape({n, 1}), tg::Array<double>::from_shape({n, 1})};
    for (std::size_t i = 0; i < n; ++i) {
        d.x(i, 0) = tg::nn::uniform(rng, -1.0, 1.0);
        d.y(i, 0) = trapezoid(d.x(i, 0));
    }
    return d;
}

tg::nn::Sequential<double> blog_network(tg::nn::Rng& rng) {
    using namespace tg::nn;
    return Sequential<double>{Dense<double>(1, 32, rng),  Sigmoid<double>(),
                              Dense<double>(32, 32, rng), Sigmoid<double>(),
                              Dense<double>(32, 16, rng), Sigmoid<double>(),
                              Dense<double>(16, 16, rng), Sigmoid<double>(),
                              Dense<double>(16, 1, rng),  Tanh<double>()};
}

double test_rmse(tg::nn::Sequential<double>& net, const tg::Tensor<double>& x,
                 const tg::Tensor<double>& y) {
    tg::NoGradGuard no_grad;  // a measurement, not part of training: nothing is recorded
    return tg::nn::rmse(net(x), y).item();
}

}  // namespace trapezoid
