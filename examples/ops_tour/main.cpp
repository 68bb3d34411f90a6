// A tour of tapegrad's ops in four small programs, each checking its own result:
//  1. a physics fit, y = a·sin(ωt + φ), by gradient descent through tg::sin;
//  2. causal self-attention from a batched matmul, a triangular mask and softmax, and its
//     gradients checked against finite differences;
//  3. a 1-D convolution and max pooling that find the edges of a step signal;
//  4. factories, selection and printing; a Hessian of a lambda.
//
// Exits 1 when a check fails (the fit misses, attention looks ahead, a gradient check
// fails), so it runs as a test too.

#include <tapegrad/tapegrad.hpp>

#include "../common/cli.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

namespace {

using Tensor = tg::Tensor<double>;

/// Fits a, ω, φ of y = a·sin(ωt + φ) to 200 noisy samples of 1.5·sin(2t + 0.5) with Adam.
bool sine_fit(tg::nn::Rng& rng) {
    std::printf("1. fit y = a sin(w t + phi) to noisy samples of 1.5 sin(2 t + 0.5)\n");
    const Tensor t = tg::linspace(0, 6, 200);
    const Tensor y = 1.5 * (2.0 * t + 0.5).sin() + 0.05 * tg::randn({200}, rng);
    Tensor a = tg::full({1}, 1.0, true), w = tg::full({1}, 1.8, true), phi = tg::zeros({1}, true);
    tg::optim::Adam<double> adam({a, w, phi}, 0.05);
    tg::Tape tape;  // records each step; l.backward() runs it and releases its entries
    double loss = 0;
    for (int step = 0; step < 1500; ++step) {
        const Tensor l = (a * (w * t + phi).sin() - y).square().mean();
        loss = l.item();
        l.backward();
        adam.step();
        adam.zero_grad();
    }
    std::printf("   a = %.3f, w = %.3f, phi = %.3f, mean squared error %.4f\n", a.item(), w.item(),
                phi.item(), loss);
    return std::abs(a.item() - 1.5) < 0.05 && std::abs(w.item() - 2) < 0.05 &&
           std::abs(phi.item() - 0.5) < 0.1;
}

/// softmax(q kᵀ / √d + mask) v for q, k, v of shape (batch, time, d): position i attends
/// to positions 0..i only (the mask is −∞ above the diagonal).
Tensor causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
    const std::size_t time = q.size(1);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(2)));
    const Tensor scores = q.matmul(k.permute({0, 2, 1})) * scale;  // (b, t, t)
    const Tensor future = tg::triu(tg::ones({time, time}), 1);     // 1 above the diagonal
    const Tensor weights =
        scores.masked_fill(future, -std::numeric_limits<double>::infinity()).softmax(-1);
    return weights.matmul(v);
}

bool attention(tg::nn::Rng& rng) {
    std::printf("2. causal self-attention, batch 2, 5 steps, width 4\n");
    const Tensor q = tg::randn({2, 5, 4}, rng), k = tg::randn({2, 5, 4}, rng),
                 v = tg::randn({2, 5, 4}, rng);
    // Changing the last value vector must leave every earlier output unchanged.
    Tensor v2(tg::Array<double>(v.value()));  // a copy of the values
    v2.mutable_value()(0, 4, 0) += 10;
    const Tensor out = causal_attention(q, k, v), out2 = causal_attention(q, k, v2);
    const double earlier_change = (out2 - out).narrow(1, 0, 4).abs().sum().item();
    std::printf("   change of outputs 0..3 when value 4 changes: %g (causal: 0)\n", earlier_change);
    const tg::GradcheckResult r = tg::gradcheck(
        [](const std::vector<Tensor>& in) { return causal_attention(in[0], in[1], in[2]); },
        {q, k, v});
    std::printf("   gradcheck of q, k, v: %s\n", r.passed ? "passed" : r.message.c_str());
    return earlier_change == 0 && r.passed;
}

bool edges(tg::nn::Rng& rng) {
    std::printf("3. edges of a step signal: conv1d with [-1, 0, 1], then max_pool1d\n");
    // 0 on [0, 10), 1 on [10, 22), 0 on [22, 32): the response x[i+1] − x[i−1] is ±1 at
    // 9, 10 (rising edge) and 21, 22 (falling edge), in the pooled windows 2 and 5.
    Tensor signal = tg::zeros({1, 1, 32});
    for (std::size_t i = 10; i < 22; ++i) signal.mutable_value()(0, 0, i) = 1;
    const Tensor kernel = tg::linspace(-1, 1, 3).reshape({1, 1, 3});
    const Tensor response = tg::conv1d(signal, kernel, {}, 1, 1);  // padding 1: length 32
    const Tensor pooled = tg::max_pool1d(response.abs(), 4);       // length 8
    const Tensor where_edge = pooled > 0.5;
    std::cout << "   |response| pooled by 4: " << pooled.squeeze() << "\n";
    const bool found = where_edge.at({0, 0, 2}) == 1 && where_edge.at({0, 0, 5}) == 1 &&
                       where_edge.sum().item() == 2;
    const tg::GradcheckResult r = tg::gradcheck(
        [](const std::vector<Tensor>& in) {
            return tg::max_pool1d(tg::conv1d(in[0], in[1], in[2], 2, 1, 1).tanh(), 2);
        },
        {tg::randn({2, 3, 9}, rng), tg::randn({4, 3, 3}, rng), tg::randn({4}, rng)});
    std::printf("   edges in pooled windows 2 and 5: %s; gradcheck of conv1d + pool: %s\n",
                found ? "yes" : "no", r.passed ? "passed" : r.message.c_str());
    return found && r.passed;
}

bool factories_and_hessian() {
    std::printf("4. factories, selection, printing, and a Hessian of a lambda\n");
    const Tensor x = tg::arange(6).reshape({2, 3});
    const Tensor clipped = tg::where(x > 2.0, tg::full({1}, 2.0), x);
    std::cout << "   x = " << x << "\n   where(x > 2, 2, x) = " << clipped << "\n";
    std::cout << "   stack({x[0], x[1]}, 1) = " << tg::stack({x.select(0, 0), x.select(0, 1)}, 1)
              << "\n";
    // f(x) = Σ xᵢ³ has the Hessian diag(6 xᵢ).
    const Tensor p = tg::arange(1.0, 4.0, 1.0);
    const Tensor h = tg::hessian([](const Tensor& v) { return v.pow(3.0).sum(); }, p);
    std::cout << "   hessian of sum(x^3) at [1, 2, 3] = " << h << "\n";
    return h.at({0, 0}) == 6 && h.at({1, 1}) == 12 && h.at({2, 2}) == 18 && h.at({0, 1}) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t seed = 7;
    CLI::App app(
        "A tour of tapegrad's ops: a sine fit, causal attention, a 1-D convolution, "
        "factories and a Hessian; exits 1 when one of their checks fails.",
        "ops_tour");
    app.option_defaults()->always_capture_default();
    app.add_option("--seed", seed, "seeds the random tensors")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;

    tg::nn::Rng rng(seed);
    bool ok = true;
    for (bool passed : {sine_fit(rng), attention(rng), edges(rng), factories_and_hessian()})
        ok = ok && passed;
    std::printf(ok ? "every check passed\n" : "a check FAILED\n");
    return ok ? 0 : 1;
}
