// A custom model from raw ops: two interleaved spirals classified by a small network whose
// parameters are plain tensors, trained with tape.gradient and Adam written by hand.
//
//     logits = tanh(tanh(x W1ᵀ + b1) W2ᵀ + b2) W3ᵀ + b3        x: (N, 2), logits: (N, 2)
//     loss   = cross_entropy(logits, labels) = −(1/N) Σ_n log softmax(logits)_{n, label_n}
//
// No tg::nn module is used: a model is any function of tensors. (tg::nn::cross_entropy and
// the seeded initializer are plain functions.) At the end the program prints the accuracy
// on held-out points and draws the decision boundary with gnuplot.
//
// Usage: custom_model [--steps N] [--seed S] [--out DIR] [--check]
//   --check  exit with status 1 unless the test accuracy is at least 0.9 (the ctest smoke test)

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/nn/random.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/tape.hpp>

#include "../common/cli.hpp"
#include "../common/fail.hpp"
#include "../common/tools.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

namespace {

using Tensor = tg::Tensor<double>;
constexpr double kPi = 3.14159265358979323846;

/// Two spirals, one per class, n points each, interleaved in the output.
/// Point k of class c sits at radius r = 0.15 + 0.85 t (t = k / n) and angle
/// θ = c·π + 2π·turns·t, plus Gaussian noise of `noise` on each coordinate:
/// the classes wind around each other, so no straight line separates them.
struct Spiral {
    xt::xarray<double> x;             ///< (2n, 2)
    std::vector<std::size_t> labels;  ///< 0 or 1
};

Spiral make_spiral(std::size_t n_per_class, double turns, double noise, tg::nn::Rng& rng) {
    Spiral s;
    s.x = xt::xarray<double>::from_shape({2 * n_per_class, 2});
    for (std::size_t k = 0; k < n_per_class; ++k) {
        for (std::size_t c = 0; c < 2; ++c) {
            const std::size_t row = 2 * k + c;
            const double t = (static_cast<double>(k) + tg::nn::uniform01(rng)) /
                             static_cast<double>(n_per_class);
            const double r = 0.15 + 0.85 * t;
            const double theta = static_cast<double>(c) * kPi + 2 * kPi * turns * t;
            s.x(row, 0) = r * std::cos(theta) + noise * tg::nn::standard_normal(rng);
            s.x(row, 1) = r * std::sin(theta) + noise * tg::nn::standard_normal(rng);
            s.labels.push_back(c);
        }
    }
    return s;
}

/// The model: three layers, parameters as plain leaves that want gradients.
struct SpiralNet {
    Tensor w1, b1, w2, b2, w3, b3;

    SpiralNet(std::size_t hidden, tg::nn::Rng& rng)
        : w1(tg::parameter(tg::nn::xavier_uniform<double>({hidden, 2}, rng))),
          b1(tg::parameter(xt::xarray<double>(xt::zeros<double>({hidden})))),
          w2(tg::parameter(tg::nn::xavier_uniform<double>({hidden, hidden}, rng))),
          b2(tg::parameter(xt::xarray<double>(xt::zeros<double>({hidden})))),
          w3(tg::parameter(tg::nn::xavier_uniform<double>({2, hidden}, rng))),
          b3(tg::parameter(xt::xarray<double>(xt::zeros<double>({2})))) {}

    /// Raw class scores (N, 2); tg::linear(x, W, b) = x Wᵀ + b in one fused op.
    Tensor logits(const Tensor& x) const {
        Tensor h1 = tg::linear(x, w1, b1).tanh();  // PyTorch: F.linear(x, w1, b1).tanh()
        Tensor h2 = tg::linear(h1, w2, b2).tanh();
        return tg::linear(h2, w3, b3);
    }
    std::vector<Tensor> parameters() const { return {w1, b1, w2, b2, w3, b3}; }
};

/// Adam, by hand. For a parameter p with gradient g at step t = 1, 2, ...:
///     m = β₁ m + (1 − β₁) g,    v = β₂ v + (1 − β₂) g²
///     p −= lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
/// mutable_value() changes a leaf in place; that is never recorded on a tape.
class HandAdam {
public:
    HandAdam(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
        for (const Tensor& p : params_) {
            m_.emplace_back(xt::zeros<double>(p.shape()));
            v_.emplace_back(xt::zeros<double>(p.shape()));
        }
    }
    void step(const std::vector<Tensor>& grads) {
        ++t_;
        const double c1 = 1 - std::pow(beta1_, t_), c2 = 1 - std::pow(beta2_, t_);
        for (std::size_t k = 0; k < params_.size(); ++k) {
            const auto& g = grads[k].value();
            m_[k] = beta1_ * m_[k] + (1 - beta1_) * g;
            v_[k] = beta2_ * v_[k] + (1 - beta2_) * g * g;
            params_[k].mutable_value() -= lr_ * (m_[k] / c1) / (xt::sqrt(v_[k] / c2) + eps_);
        }
    }

private:
    std::vector<Tensor> params_;
    std::vector<xt::xarray<double>> m_, v_;
    double lr_;
    double beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8;
    int t_ = 0;
};

/// Fraction of rows whose largest logit is at the label (a tie goes to class 0).
double accuracy(const Tensor& logits, const std::vector<std::size_t>& labels) {
    const tg::Tensor<std::int64_t> predicted = logits.argmax(1);
    std::size_t right = 0;
    for (std::size_t n = 0; n < labels.size(); ++n)
        right += predicted.at({n}) == static_cast<std::int64_t>(labels[n]);
    return static_cast<double>(right) / static_cast<double>(labels.size());
}

/// P(class 1) on a grid over [−lim, lim]², for gnuplot's `with image`: lines "x y p", a
/// blank line after each row of the grid. Then the points, "x y label", and the script.
bool write_plot(const std::filesystem::path& dir, const SpiralNet& net, const Spiral& points,
                double test_acc) {
    const std::size_t g = 160;
    const double lim = 1.25;
    xt::xarray<double> grid = xt::xarray<double>::from_shape({g * g, 2});
    for (std::size_t i = 0; i < g; ++i)
        for (std::size_t j = 0; j < g; ++j) {
            grid(i * g + j, 0) = -lim + 2 * lim * static_cast<double>(j) / (g - 1);
            grid(i * g + j, 1) = -lim + 2 * lim * static_cast<double>(i) / (g - 1);
        }
    // No tape is alive here, so this forward pass records nothing.
    const Tensor prob = net.logits(Tensor(grid)).softmax(-1);

    std::ofstream boundary(dir / "boundary.dat");
    // gnuplot's `with image` infers the grid from the coordinates: 6 digits make it skewed.
    boundary.precision(12);
    for (std::size_t i = 0; i < g; ++i) {
        for (std::size_t j = 0; j < g; ++j)
            boundary << grid(i * g + j, 0) << ' ' << grid(i * g + j, 1) << ' '
                     << prob.value()(i * g + j, 1) << '\n';
        boundary << '\n';
    }
    std::ofstream pts(dir / "points.dat");
    for (std::size_t n = 0; n < points.labels.size(); ++n)
        pts << points.x(n, 0) << ' ' << points.x(n, 1) << ' ' << points.labels[n] << '\n';
    boundary.close();  // flushed before gnuplot reads them
    pts.close();
    if (!boundary || !pts) {
        std::fprintf(stderr, "cannot write the data files in %s\n", dir.string().c_str());
        return false;
    }

    char title[160];
    std::snprintf(title, sizeof title,
                  "two spirals: P(class 1) and the test points (accuracy %.3f)", test_acc);
    const std::string script = R"(set terminal pngcairo size 720,680
set output 'decision_boundary.png'
set title ')" + std::string(title) +
                               R"('
set size ratio -1
set xrange [-1.25:1.25]
set yrange [-1.25:1.25]
set cbrange [0:1]
set cblabel 'P(class 1)'
set palette defined (0 '#4a7bd0', 0.5 '#f7f7f7', 1 '#d9623b')
plot 'boundary.dat' using 1:2:3 with image notitle, \
     'points.dat' using 1:($3 == 0 ? $2 : 1/0) with points pt 7 ps 0.7 lc rgb '#1d3f8a' \
         title 'class 0', \
     'points.dat' using 1:($3 == 1 ? $2 : 1/0) with points pt 7 ps 0.7 lc rgb '#8a2a10' \
         title 'class 1'
)";
    if (!examples::write_text(dir / "decision_boundary.gp", script)) return false;
    if (examples::run_gnuplot(dir / "decision_boundary.gp"))
        std::printf("wrote %s\n", (dir / "decision_boundary.png").string().c_str());
    return true;
}

/// Trains, evaluates and draws; returns the exit status.
int run(int steps, std::uint64_t seed, const std::string& out, bool check) {
    examples::check_output_dir("--out", out, {"boundary.dat", "points.dat"});
    tg::nn::Rng rng(seed);
    const std::size_t per_class = 200, hidden = 64;
    const double turns = 1.5, noise = 0.04, lr = 0.01;
    const Spiral train = make_spiral(per_class, turns, noise, rng);
    const Spiral test = make_spiral(per_class, turns, noise, rng);
    const Tensor x(train.x);  // a constant: no gradient wanted
    // The class labels as a PyTorch user holds them: an int64 tensor (torch.long).
    const std::vector<std::int64_t> label_values(train.labels.begin(), train.labels.end());
    const tg::Tensor<std::int64_t> y = tg::from_vector(label_values, {label_values.size()});
    SpiralNet net(hidden, rng);
    const std::vector<Tensor> params = net.parameters();
    HandAdam adam(params, lr);

    std::printf(
        "custom_model: 2 -> %zu tanh -> %zu tanh -> 2 on two spirals (%.1f turns), %zu training "
        "points, Adam lr %.3g\n",
        hidden, hidden, turns, train.labels.size(), lr);
    const auto start = std::chrono::steady_clock::now();
    tg::Tape tape;  // one tape for the whole loop: each gradient() releases its entries
    double loss_value = 0;
    for (int step = 0; step <= steps; ++step) {
        Tensor loss = tg::nn::cross_entropy(net.logits(x), y);
        loss_value = loss.item();
        // d loss / d p for every parameter, returned as tensors (grad() is not touched).
        std::vector<Tensor> grads = tape.gradient(loss, params);
        if (step % (steps / 5 > 0 ? steps / 5 : 1) == 0 || step == steps) {
            tg::NoGradGuard no_grad;  // evaluating the model is not part of training
            std::printf("  step %5d   loss %.4f   train accuracy %.3f\n", step, loss_value,
                        accuracy(net.logits(x), train.labels));
        }
        if (step < steps) adam.step(grads);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    tg::NoGradGuard no_grad;
    const double test_acc = accuracy(net.logits(Tensor(test.x)), test.labels);
    std::printf("test accuracy %.3f on %zu held-out points (%d steps in %.2f s)\n", test_acc,
                test.labels.size(), steps, seconds);

    if (!write_plot(out, net, test, test_acc)) return 1;

    if (check && !(test_acc >= 0.9)) {
        std::fprintf(stderr, "custom_model --check: test accuracy %.3f is below 0.9\n", test_acc);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    int steps = 1500;
    std::uint64_t seed = 3;
    std::string out = "custom_model-out";
    bool check = false;
    CLI::App app(
        "Classifies two interleaved spirals with a network built from raw ops and "
        "Adam written by hand; draws the decision boundary with gnuplot.",
        "custom_model");
    app.option_defaults()->always_capture_default();
    app.add_option("--steps", steps, "full-batch Adam steps")
        ->check(examples::whole_number(1, 100000000));
    app.add_option("--seed", seed, "seeds the data and the weights")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    app.add_option("--out", out, "where the CSV files and the picture go");
    app.add_flag("--check", check, "exit 1 unless the held-out accuracy is at least 0.9");
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;
    return examples::run_main("custom_model", [&] { return run(steps, seed, out, check); });
}
