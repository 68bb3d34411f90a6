// Second derivatives with tapegrad:
//  1. Hessian-vector products of the blog network's loss with respect to all its weights,
//     without forming the Hessian, checked against finite differences of gradients;
//  2. Newton's method on a small logistic regression, converging in a few iterations.
//
// Exits non-zero if the HVP disagrees with finite differences or Newton does not converge.

#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

using Tensor = tg::Tensor<double>;

double uniform(std::mt19937_64& rng, double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

tg::Array<double> random_array(const tg::Shape& shape, std::mt19937_64& rng, double lo, double hi) {
    tg::Array<double> a = tg::Array<double>::from_shape(shape);
    for (double& e : a) e = uniform(rng, lo, hi);
    return a;
}

// ---- 1. The blog network as a function of one flat parameter vector --------------------

const std::vector<std::size_t> kWidths = {1, 32, 32, 16, 16, 1};

std::size_t parameter_count() {
    std::size_t n = 0;
    for (std::size_t i = 0; i + 1 < kWidths.size(); ++i)
        n += kWidths[i + 1] * kWidths[i] + kWidths[i + 1];
    return n;
}

/// L(θ) = (1/2N) Σ (net(x; θ) − y)², the weights W_i (out, in) and biases b_i cut out of θ.
Tensor blog_loss(const Tensor& theta, const Tensor& x, const Tensor& y) {
    Tensor a = x;
    std::size_t offset = 0;
    for (std::size_t i = 0; i + 1 < kWidths.size(); ++i) {
        const std::size_t in = kWidths[i], out = kWidths[i + 1];
        Tensor w = theta.narrow(0, offset, out * in).reshape({out, in});
        offset += out * in;
        Tensor b = theta.narrow(0, offset, out);
        offset += out;
        Tensor z = tg::linear(a, w, b);
        a = i + 2 < kWidths.size() ? z.sigmoid() : z.tanh();
    }
    const double n = static_cast<double>(x.size(0));
    return (a - y).square().sum() * (0.5 / n);
}

Tensor gradient_at(const tg::UnaryFunction<double>& f, const tg::Array<double>& theta) {
    tg::Tape tape;
    Tensor p(tg::Array<double>(theta), true);
    return tape.gradient(f(p), {p})[0];
}

bool check_blog_hvp() {
    std::mt19937_64 rng(7);
    const std::size_t n = 64;
    tg::Array<double> xs = random_array({n, 1}, rng, -1, 1);
    tg::Array<double> ys = tg::Array<double>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i)
        ys(i, 0) = 0.8 * std::clamp((0.75 - std::abs(xs(i, 0))) / 0.5, 0.0, 1.0);
    const Tensor x(std::move(xs)), y(std::move(ys));
    auto loss = [&](const Tensor& theta) { return blog_loss(theta, x, y); };

    const std::size_t p = parameter_count();
    Tensor theta(random_array({p}, rng, -0.5, 0.5));
    Tensor v(random_array({p}, rng, -1, 1));
    Tensor hv = tg::hvp<double>(loss, theta, v);

    // Finite differences of gradients: H v ≈ (∇L(θ + εv) − ∇L(θ − εv)) / 2ε
    const double eps = 1e-5;
    Tensor g_plus = gradient_at(loss, theta.value() + eps * v.value());
    Tensor g_minus = gradient_at(loss, theta.value() - eps * v.value());
    double max_err = 0, max_ref = 0;
    for (std::size_t i = 0; i < p; ++i) {
        const double fd = (g_plus.value()(i) - g_minus.value()(i)) / (2 * eps);
        max_err = std::max(max_err, std::abs(hv.value()(i) - fd));
        max_ref = std::max(max_ref, std::abs(fd));
    }
    const double rel = max_err / max_ref;
    std::printf("blog network: %zu parameters, Hessian-vector product vs finite differences:\n", p);
    std::printf("  max |Hv - fd| = %.3g, relative to max |fd| = %.3g: %.3g  %s\n", max_err, max_ref,
                rel, rel < 1e-6 ? "ok" : "MISMATCH");
    return rel < 1e-6;
}

// ---- 2. Newton's method on logistic regression ------------------------------------------

/// Solves H δ = g for a small dense H by Gaussian elimination with partial pivoting.
std::vector<double> solve(std::vector<std::vector<double>> H, std::vector<double> g) {
    const std::size_t n = g.size();
    for (std::size_t c = 0; c < n; ++c) {
        std::size_t pivot = c;
        for (std::size_t r = c + 1; r < n; ++r)
            if (std::abs(H[r][c]) > std::abs(H[pivot][c])) pivot = r;
        std::swap(H[c], H[pivot]);
        std::swap(g[c], g[pivot]);
        for (std::size_t r = c + 1; r < n; ++r) {
            const double f = H[r][c] / H[c][c];
            for (std::size_t k = c; k < n; ++k) H[r][k] -= f * H[c][k];
            g[r] -= f * g[c];
        }
    }
    std::vector<double> x(n);
    for (std::size_t r = n; r-- > 0;) {
        double s = g[r];
        for (std::size_t k = r + 1; k < n; ++k) s -= H[r][k] * x[k];
        x[r] = s / H[r][r];
    }
    return x;
}

bool newton_logistic_regression() {
    std::mt19937_64 rng(11);
    const std::size_t n = 400, d = 3;
    const double true_w[d] = {1.5, -2.0, 0.5};  // the last feature is a constant 1 (bias)
    tg::Array<double> xs = tg::Array<double>::from_shape({n, d});
    tg::Array<double> ts = tg::Array<double>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) {
        double z = 0;
        for (std::size_t j = 0; j < d; ++j) {
            xs(i, j) = j + 1 == d ? 1.0 : uniform(rng, -2, 2);
            z += true_w[j] * xs(i, j);
        }
        ts(i, 0) = uniform(rng, 0, 1) < 1 / (1 + std::exp(-z)) ? 1.0 : 0.0;
    }
    const Tensor X(std::move(xs)), t(std::move(ts));
    const double lambda = 1e-3;
    // L(w) = mean(softplus(z) − t z) + λ/2 |w|², z = X w: the logistic loss, convex.
    auto loss = [&](const Tensor& w) {
        Tensor z = X.matmul(w.reshape({d, 1}));
        return (tg::softplus(z) - t * z).mean() + w.square().sum() * (lambda / 2);
    };

    std::printf("\nNewton's method on logistic regression (%zu points, %zu weights):\n", n, d);
    Tensor w = tg::zeros({d});
    double grad_norm = 0;
    for (int it = 0; it < 10; ++it) {
        Tensor g = gradient_at(loss, w.value());
        Tensor H = tg::hessian<double>(loss, w);
        grad_norm = 0;
        for (double e : g.value()) grad_norm = std::max(grad_norm, std::abs(e));
        double value;
        {
            tg::NoGradGuard no_grad;
            value = loss(w).item();
        }
        std::printf("  iteration %d: loss %.12f  max |gradient| %.3e\n", it, value, grad_norm);
        if (grad_norm < 1e-12) break;
        std::vector<std::vector<double>> h(d, std::vector<double>(d));
        std::vector<double> gv(d);
        for (std::size_t i = 0; i < d; ++i) {
            gv[i] = g.value()(i);
            for (std::size_t j = 0; j < d; ++j) h[i][j] = H.value()(i, j);
        }
        const std::vector<double> step = solve(h, gv);
        for (std::size_t i = 0; i < d; ++i) w.mutable_value()(i) -= step[i];
    }
    std::printf("  weights: %.4f %.4f %.4f (generated with %.1f %.1f %.1f)  %s\n", w.value()(0),
                w.value()(1), w.value()(2), true_w[0], true_w[1], true_w[2],
                grad_norm < 1e-10 ? "converged" : "NOT CONVERGED");
    return grad_norm < 1e-10;
}

}  // namespace

int main() {
    const bool hvp_ok = check_blog_hvp();
    const bool newton_ok = newton_logistic_regression();
    return hvp_ok && newton_ok ? 0 : 1;
}
