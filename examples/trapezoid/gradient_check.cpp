#include "gradient_check.hpp"

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn/dense.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/nn/reference.hpp>
#include <tapegrad/tape.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace trapezoid {

namespace {

using Tensor = tg::Tensor<double>;

/// Central differences of `loss` with respect to every element of `p`, which is changed
/// in place and restored. Exact up to O(ε²) truncation and O(ulp · L / ε) rounding.
tg::Array<double> finite_differences(Tensor p, const std::function<double()>& loss) {
    const double eps = 1e-6;
    tg::Array<double> fd = tg::Array<double>::from_shape(p.shape());
    for (std::size_t k = 0; k < fd.size(); ++k) {
        const double saved = p.value().flat(k);
        p.mutable_value().flat(k) = saved + eps;
        const double plus = loss();
        p.mutable_value().flat(k) = saved - eps;
        const double minus = loss();
        p.mutable_value().flat(k) = saved;
        fd.flat(k) = (plus - minus) / (2 * eps);
    }
    return fd;
}

/// The three versions of one layer's gradients (weight and bias together), flattened.
struct Gradients {
    std::vector<double> tape, reference, numeric;
    void append(const tg::Array<double>& t, const tg::Array<double>& r,
                const tg::Array<double>& n) {
        tape.insert(tape.end(), t.begin(), t.end());
        reference.insert(reference.end(), r.begin(), r.end());
        numeric.insert(numeric.end(), n.begin(), n.end());
    }
};

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double m = 0;
    for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(a[k] - b[k]));
    return m;
}

double max_abs(const std::vector<double>& a) {
    double m = 0;
    for (double v : a) m = std::max(m, std::abs(v));
    return m;
}

}  // namespace

bool three_way_check(tg::nn::Sequential<double>& net, const tg::Array<double>& x_values,
                     const tg::Array<double>& y_values) {
    const Tensor y(y_values);
    Tensor x(tg::Array<double>(x_values), /*requires_grad=*/true);  // dL/dx is checked too

    // 1. The tape.
    const std::vector<Tensor> params = net.parameters();
    std::vector<Tensor> wrt = params;
    wrt.push_back(x);
    std::vector<Tensor> tape_grads;
    {
        tg::Tape tape;
        tape_grads = tape.gradient(tg::nn::half_sse_per_example(net(x), y), wrt);
    }

    // 2. The manual-backprop reference, on a copy of the same weights.
    auto reference = tg::nn::to_reference(net);
    reference.forward(x_values);
    reference.backward(y_values);

    // 3. Finite differences of the loss, evaluated without recording.
    auto loss = [&]() {
        tg::NoGradGuard no_grad;
        return tg::nn::half_sse_per_example(net(x), y).item();
    };

    std::printf(
        "three-way gradient check on %zu examples: tape vs tg::nn::reference vs central finite "
        "differences (eps 1e-6)\n",
        x_values.shape()[0]);
    std::printf("  %-22s %12s %14s %14s %14s\n", "layer", "max |grad|", "tape-ref", "tape-fd",
                "ref-fd");

    bool ok = true;
    auto report = [&](const std::string& name, const Gradients& g) {
        const double scale = max_abs(g.tape);
        const double s = std::max(scale, 1e-300);
        const double tr = max_diff(g.tape, g.reference), tf = max_diff(g.tape, g.numeric),
                     rf = max_diff(g.reference, g.numeric);
        const bool layer_ok = tr <= 1e-10 * s && tf <= 1e-6 * s && rf <= 1e-6 * s;
        ok = ok && layer_ok;
        std::printf("  %-22s %12.3e %14.3e %14.3e %14.3e  %s\n", name.c_str(), scale, tr, tf, rf,
                    layer_ok ? "ok" : "DISAGREE");
    };

    // Parameters come in (weight, bias) pairs, one per Dense layer, in the reference's order.
    for (std::size_t layer = 0; layer < reference.depth(); ++layer) {
        const Tensor& w = params[2 * layer];
        const Tensor& b = params[2 * layer + 1];
        Gradients g;
        g.append(tape_grads[2 * layer].value(), reference.grad_weight(layer),
                 finite_differences(w, loss));
        g.append(tape_grads[2 * layer + 1].value(), reference.grad_bias(layer),
                 finite_differences(b, loss));
        const auto& shape = w.shape();
        report("Dense " + std::to_string(layer) + " (" + std::to_string(shape[1]) + " -> " +
                   std::to_string(shape[0]) + ")",
               g);
    }
    Gradients gx;
    gx.append(tape_grads.back().value(), reference.grad_input(), finite_differences(x, loss));
    report("input x", gx);
    std::printf(
        "  (differences are absolute; a layer passes when tape-ref <= 1e-10 and both -fd <= 1e-6 "
        "times its max |grad|)\n  %s\n",
        ok ? "all three agree" : "GRADIENTS DISAGREE");
    return ok;
}

}  // namespace trapezoid
