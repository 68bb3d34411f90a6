// The smallest tapegrad program: record f(x, w) = Σ tanh(x ⊙ w) + Σ w² on a tape and
// read both gradients,
//     d f / d w = x ⊙ (1 − tanh²(x ⊙ w)) + 2 w,   d f / d x = w ⊙ (1 − tanh²(x ⊙ w)).
// Exits non-zero if they differ from the formulas (the find_package test runs it).

// The umbrella header: every public header of tapegrad, compiled here as C++20.
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <iostream>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xio.hpp>

int main() {
    tg::Tensor<double> x = tg::parameter(xt::xarray<double>{0.5, -1.0, 2.0});
    tg::Tensor<double> w = tg::parameter(xt::xarray<double>{1.5, 0.25, -0.75});

    tg::Tape tape;
    tg::Tensor<double> f = (x * w).tanh().sum() + w.square().sum();
#if __cplusplus >= 202002L
    // Options are aggregates: C++20 code fills them with designated initializers.
    std::vector<tg::Tensor<double>> grads = tape.gradient(f, {x, w}, {.retain_graph = true});
#else
    tg::BackwardOptions keep;
    keep.retain_graph = true;
    std::vector<tg::Tensor<double>> grads = tape.gradient(f, {x, w}, keep);
#endif
    f.backward();  // the same gradients, accumulated into x.grad() and w.grad()

    std::cout << "f = " << f.item() << "\n";
    std::cout << "df/dx = " << x.grad().value() << "\n";
    std::cout << "df/dw = " << w.grad().value() << "\n";

    int wrong = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const double xi = x.value()(i), wi = w.value()(i);
        const double t = std::tanh(xi * wi);
        const double dx = wi * (1 - t * t), dw = xi * (1 - t * t) + 2 * wi;
        wrong += std::abs(x.grad().value()(i) - dx) > 1e-12;
        wrong += std::abs(w.grad().value()(i) - dw) > 1e-12;
        wrong += std::abs(grads[0].value()(i) - dx) > 1e-12;
        wrong += std::abs(grads[1].value()(i) - dw) > 1e-12;
    }
    if (wrong) {
        std::cerr << "consumer: " << wrong << " gradient values differ from the formulas\n";
        return 1;
    }
    std::cout << "consumer: gradients match the formulas\n";
    return 0;
}
