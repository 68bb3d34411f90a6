// A two-layer network trained from raw tapegrad ops, with a hand-written SGD step.
//
// The target is the "trapezoid" of the blog workload (docs/design.md):
//     y = 0.8 · clip((0.75 − |x|) / 0.5, 0, 1),   x uniform in [−1, 1]
// The model is  pred = tanh(x W1ᵀ + b1) W2ᵀ + b2  with H hidden units, the loss the mean
// squared error. Each step records the forward pass on a fresh tg::Tape, runs
// loss.backward(), and moves every parameter against its gradient in place.
//
// Usage: two_layer [--steps N] [--check]
//   --check  exit with status 1 unless the loss fell at least 10-fold (the ctest smoke test)

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/tape.hpp>

#include "../common/cli.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

namespace {

using Tensor = tg::Tensor<double>;

/// Uniform in [lo, hi) from the raw 64-bit output: the same numbers on every platform
/// (std::uniform_real_distribution is implementation-defined).
double uniform(std::mt19937_64& rng, double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

double trapezoid(double x) { return 0.8 * std::clamp((0.75 - std::abs(x)) / 0.5, 0.0, 1.0); }

/// n examples as an (n, 1) column each for x and y.
void make_data(std::mt19937_64& rng, std::size_t n, xt::xarray<double>& x, xt::xarray<double>& y) {
    x = xt::xarray<double>::from_shape({n, 1});
    y = xt::xarray<double>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) {
        x(i, 0) = uniform(rng, -1.0, 1.0);
        y(i, 0) = trapezoid(x(i, 0));
    }
}

/// A (rows, cols) parameter with values uniform in [−limit, limit] (Xavier/Glorot uniform).
Tensor init_weight(std::mt19937_64& rng, std::size_t rows, std::size_t cols) {
    const double limit = std::sqrt(6.0 / static_cast<double>(rows + cols));
    xt::xarray<double> w = xt::xarray<double>::from_shape({rows, cols});
    for (double& v : w) v = uniform(rng, -limit, limit);
    return tg::parameter(w);
}

Tensor init_bias(std::size_t n) {
    return tg::parameter(xt::xarray<double>(xt::zeros<double>({n})));
}

struct Model {
    Tensor w1, b1, w2, b2;

    Tensor operator()(const Tensor& x) const {
        Tensor hidden = tg::linear(x, w1, b1).tanh();  // (N, H)
        return tg::linear(hidden, w2, b2);             // (N, 1)
    }
    std::vector<Tensor> parameters() const { return {w1, b1, w2, b2}; }
};

/// 0, 1, 2, 5, 10, 20, 50, ...: the loss falls fast at first, so report on a log scale.
bool is_report_step(int step) {
    if (step == 0) return true;
    int scale = 1;
    while (step % (scale * 10) == 0) scale *= 10;
    const int lead = step / scale;
    return lead == 1 || lead == 2 || lead == 5;
}

Tensor mse(const Tensor& pred, const Tensor& target) { return (pred - target).square().mean(); }

}  // namespace

int main(int argc, char** argv) {
    int steps = 3000;
    bool check = false;
    CLI::App app("Trains a two-layer network built from raw ops with a hand-written SGD step.",
                 "two_layer");
    app.option_defaults()->always_capture_default();
    app.add_option("--steps", steps, "SGD steps")->check(examples::whole_number(1, 100000000));
    app.add_flag("--check", check, "exit 1 unless the loss fell at least 10-fold");
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;

    const std::size_t n_train = 256, n_test = 1000, hidden = 16;
    const double learning_rate = 0.1, momentum = 0.9;

    std::mt19937_64 rng(2024);
    xt::xarray<double> x_train, y_train, x_test, y_test;
    make_data(rng, n_train, x_train, y_train);
    make_data(rng, n_test, x_test, y_test);
    const Tensor x(x_train), y(y_train);  // constants: no gradient wanted

    Model model{init_weight(rng, hidden, 1), init_bias(hidden), init_weight(rng, 1, hidden),
                init_bias(1)};
    const std::vector<Tensor> params = model.parameters();
    std::vector<Tensor> velocity;
    for (const Tensor& p : params) velocity.push_back(tg::zeros_like(p));

    std::printf(
        "two_layer: 1 -> %zu tanh -> 1 on the trapezoid, %zu examples, SGD lr %.2f, "
        "momentum %.1f\n",
        hidden, n_train, learning_rate, momentum);
    double first_loss = 0, loss_value = 0;
    for (int step = 0; step <= steps; ++step) {
        {
            tg::Tape tape;  // records this step's forward pass
            Tensor loss = mse(model(x), y);
            loss_value = loss.item();
            loss.backward();  // fills p.grad() of every parameter; releases the entries
        }
        if (step == 0) first_loss = loss_value;
        if (is_report_step(step) || step == steps)
            std::printf("  step %5d   loss %.6f\n", step, loss_value);
        if (step == steps) break;

        // SGD with momentum, written by hand: v = μ v + g;  p −= α v. Under no-grad (no
        // tape is alive either) `-=` changes the leaf in place and is never recorded.
        tg::NoGradGuard no_grad;  // PyTorch: with torch.no_grad():
        for (std::size_t k = 0; k < params.size(); ++k) {
            Tensor p = params[k];
            velocity[k] = momentum * velocity[k] + p.grad();
            p -= learning_rate * velocity[k];
            p.zero_grad();
        }
    }

    // Inference: no tape is alive, so nothing is recorded.
    const Tensor pred = model(Tensor(x_test));
    const double test_rmse = std::sqrt(mse(pred, Tensor(y_test)).item());
    std::printf("  x      target  prediction\n");
    {
        xt::xarray<double> grid = xt::linspace<double>(-1.0, 1.0, 9);
        grid.reshape({9, 1});
        const Tensor at = model(Tensor(grid));
        for (std::size_t i = 0; i < 9; ++i)
            std::printf("  %5.2f  %6.3f  %6.3f\n", grid(i, 0), trapezoid(grid(i, 0)),
                        at.value()(i, 0));
    }
    std::printf("final: loss %.6f (from %.6f, %.1fx lower), test RMSE %.4f\n", loss_value,
                first_loss, first_loss / loss_value, test_rmse);

    if (check && !(loss_value * 10 <= first_loss)) {
        std::fprintf(stderr, "two_layer --check: the loss fell only from %g to %g (wanted 10x)\n",
                     first_loss, loss_value);
        return 1;
    }
    return 0;
}
