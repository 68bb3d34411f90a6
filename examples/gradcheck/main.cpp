// Checking gradients with tg::gradcheck: the tape's derivatives against central finite
// differences, in double.
//
//  1. A function you write from tapegrad's ops (a layer normalization followed by tanh):
//     its gradients come from the ops' own backward formulas, and gradcheck confirms them.
//  2. An op of your own, written with tg::record: the forward value and a hand-written
//     backward. Written correctly it passes (first and second derivatives); written with a
//     planted mistake, gradcheck catches it and names the input and element.
//
// Exits with status 0 only when both correct versions pass and the planted error is
// detected (the ctest smoke test runs it as is).

#include <tapegrad/gradcheck.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/record.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
#include <xtensor/xarray.hpp>

namespace {

using Tensor = tg::Tensor<double>;
using Inputs = std::vector<Tensor>;

// ---- 1. A function made of ops -----------------------------------------------------------

/// Layer normalization over the last axis, then a learned scale and a tanh:
///     μ = mean_j x_j,   σ² = mean_j (x_j − μ)²,   x̂ = (x − μ) / √(σ² + ε)
///     f(x, γ) = Σ tanh(γ ⊙ x̂)
/// Every piece is a differentiable op, so no backward is written by hand.
Tensor normalized_tanh(const Tensor& x, const Tensor& gamma) {
    const double eps = 1e-5;
    Tensor mu = x.mean(-1, /*keepdim=*/true);
    Tensor centered = x - mu;
    Tensor var = centered.square().mean(-1, true);
    Tensor x_hat = centered / (var + eps).sqrt();
    return (gamma * x_hat).tanh().sum();
}

// ---- 2. An op of your own ----------------------------------------------------------------

/// softsign(x) = x / (1 + |x|), elementwise.
///     d/dx = 1 / (1 + |x|)²
/// The forward is computed on plain values; tg::record puts the op on the active tape with
/// the tensors its backward needs (here x) and the backward itself. The backward is
/// written with tapegrad's ops, so with create_graph it is differentiable again.
Tensor softsign(const Tensor& x) {
    Tensor y(x.value() / (1.0 + xt::abs(x.value())));
    tg::record("softsign", {x}, y, {x}, [](tg::BackwardContext<double>& c) {
        const Tensor& xs = c.saved(0);
        c.add(0, c.grad() / (1.0 + xs.abs()).square());
    });
    return y;
}

/// The same op with a planted mistake in its backward: the square is forgotten,
/// d/dx = 1 / (1 + |x|). The forward value is right, so only a gradient check sees it.
Tensor softsign_wrong_backward(const Tensor& x) {
    Tensor y(x.value() / (1.0 + xt::abs(x.value())));
    tg::record("softsign_wrong", {x}, y, {x}, [](tg::BackwardContext<double>& c) {
        const Tensor& xs = c.saved(0);
        c.add(0, c.grad() / (1.0 + xs.abs()));  // wrong on purpose
    });
    return y;
}

/// Values uniform in ±[0.2, 2): away from 0, where |x| has its kink and a finite
/// difference straddling it would disagree with any one-sided derivative.
Tensor away_from_zero(const tg::Shape& shape, std::mt19937_64& rng) {
    xt::xarray<double> v = xt::xarray<double>::from_shape(shape);
    for (double& e : v) {
        const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
        const double magnitude = 0.2 + 1.8 * u;
        e = (rng() & 1) ? magnitude : -magnitude;
    }
    return Tensor(v);
}

}  // namespace

int main() {
    std::mt19937_64 rng(42);

    std::printf("1. A function written with ops: sum(tanh(gamma * layer_norm(x)))\n");
    tg::GradcheckFunction f = [](const Inputs& in) { return normalized_tanh(in[0], in[1]); };
    const Inputs f_inputs = {away_from_zero({4, 5}, rng), away_from_zero({5}, rng)};
    const tg::GradcheckResult composite = tg::gradcheck(f, f_inputs);
    std::printf("%s\n", composite.report().c_str());

    std::printf(
        "2a. A custom op with tg::record: softsign(x) = x / (1 + |x|), d/dx = 1 / (1 + |x|)^2\n");
    // softsign gives a (3, 4) output: gradcheck compares the gradients of <softsign(x), v>
    // for a fixed random v, which checks the whole Jacobian against v in one sweep.
    tg::GradcheckFunction g = [](const Inputs& in) { return softsign(in[0]); };
    const Inputs g_inputs = {away_from_zero({3, 4}, rng)};
    const tg::GradcheckResult custom = tg::gradcheck(g, g_inputs);
    std::printf("%s", custom.report().c_str());
    // Second derivatives: the backward above is made of ops, so it has a gradient too.
    const tg::GradcheckResult custom2 = tg::gradgradcheck(g, g_inputs);
    std::printf("second derivatives (gradgradcheck): %s\n\n",
                custom2 ? "passed" : custom2.message.c_str());

    std::printf(
        "2b. The same op with a planted mistake: d/dx = 1 / (1 + |x|), the square forgotten\n");
    tg::GradcheckFunction h = [](const Inputs& in) { return softsign_wrong_backward(in[0]); };
    const tg::GradcheckResult wrong = tg::gradcheck(h, g_inputs);
    std::printf("%s", wrong.report().c_str());  // the table, then wrong.message

    const bool ok = composite && custom && custom2 && !wrong;
    std::printf("\n%s\n",
                ok ? "gradcheck example: the correct gradients pass and the planted error is caught"
                   : "gradcheck example: UNEXPECTED RESULT (see above)");
    return ok ? 0 : 1;
}
