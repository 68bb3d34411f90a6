#include <tapegrad/gradcheck.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/tape.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>
#include <xtensor/xbuilder.hpp>

namespace tg {
namespace {

/// A fixed pseudo-random vector in [-1, 1] (bit-identical on every platform).
Array<double> projection(const Shape& shape, std::size_t size, std::uint64_t seed) {
    Array<double> v = Array<double>::from_shape(shape);
    if (size == 1) {
        v.fill(1.0);
        return v;
    }
    std::mt19937_64 rng(seed);
    for (double& e : v) e = static_cast<double>(rng() >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    return v;
}

double dot(const Array<double>& a, const Array<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a.data()[i] * b.data()[i];
    return s;
}

Shape unravel(std::size_t flat, const Shape& shape) {
    Shape pos(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        pos[d] = flat % shape[d];
        flat /= shape[d];
    }
    return pos;
}

std::string num(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", x);
    return buf;
}

}  // namespace

std::string GradcheckResult::report() const {
    std::ostringstream out;
    out << "gradcheck: " << (passed ? "passed" : "FAILED") << "\n";
    out << "  input  shape            max abs err   max rel err   worst element    tape          finite diff\n";
    for (const auto& r : inputs) {
        char line[256];
        std::snprintf(line, sizeof line, "  %-5zu  %-15s  %-12.3g  %-12.3g  %-15s  %-12.6g  %-12.6g%s\n", r.input,
                      shape_str(r.shape).c_str(), r.max_abs_error, r.max_rel_error,
                      shape_str(r.worst_position).c_str(), r.tape_value, r.numeric_value, r.passed ? "" : "  FAIL");
        out << line;
    }
    if (!passed) out << "  " << message << "\n";
    return out.str();
}

GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& options) {
    std::vector<Tensor<double>> params;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined()) throw ValueError("gradcheck: input #" + std::to_string(i) + " is undefined");
        params.push_back(Tensor<double>(Array<double>(inputs[i].value()), true));
    }

    // The tape's side: the gradient of <f(x), v>, i.e. a backward seeded with v.
    Array<double> v;
    std::vector<Tensor<double>> analytic;
    {
        Tape tape;
        Tensor<double> y = f(params);
        if (!y.defined()) throw ValueError("gradcheck: the function returned an undefined tensor");
        v = projection(y.shape(), y.size(), options.seed);
        if (y.requires_grad()) {
            analytic = tape.gradient(y, params, Tensor<double>(Array<double>(v)));
        } else {
            for (const auto& p : params) analytic.push_back(Tensor<double>(Array<double>(xt::zeros<double>(p.value().shape()))));
        }
    }

    // The finite-difference side: (<f(x + εe), v> − <f(x − εe), v>) / 2ε per element.
    std::vector<Tensor<double>> work;
    for (const auto& p : params) work.push_back(Tensor<double>(Array<double>(p.value())));
    auto evaluate = [&] {
        NoGradGuard no_grad;
        Tensor<double> y = f(work);
        if (y.size() != v.size())
            throw ValueError("gradcheck: the function's output changed shape between evaluations");
        return dot(y.value(), v);
    };

    GradcheckResult result;
    for (std::size_t i = 0; i < work.size(); ++i) {
        GradcheckInputReport r;
        r.input = i;
        r.shape = work[i].shape();
        double worst_excess = -INFINITY;
        const double* tape_grad = analytic[i].value().data();
        for (std::size_t j = 0; j < work[i].size(); ++j) {
            double& x = work[i].mutable_value().data()[j];
            const double original = x;
            x = original + options.eps;
            const double plus = evaluate();
            x = original - options.eps;
            const double minus = evaluate();
            x = original;
            const double numeric = (plus - minus) / (2 * options.eps);
            const double a = tape_grad[j];
            const double abs_err = std::abs(a - numeric);
            const double rel_err = abs_err / std::max({std::abs(numeric), std::abs(a), 1e-300});
            const double excess = abs_err - (options.atol + options.rtol * std::abs(numeric));
            r.max_abs_error = std::max(r.max_abs_error, abs_err);
            r.max_rel_error = std::max(r.max_rel_error, abs_err == 0 ? 0.0 : rel_err);
            if (excess > worst_excess || std::isnan(abs_err)) {
                worst_excess = std::isnan(abs_err) ? INFINITY : excess;
                r.worst_index = j;
                r.tape_value = a;
                r.numeric_value = numeric;
            }
            if (!(excess <= 0)) r.passed = false;
        }
        r.worst_position = unravel(r.worst_index, r.shape);
        if (!r.passed && result.passed) {
            result.passed = false;
            result.message = "gradcheck failed for input #" + std::to_string(i) + " (shape " + shape_str(r.shape) +
                             ") at element " + std::to_string(r.worst_index) + " (index " +
                             shape_str(r.worst_position) + "): tape gradient " + num(r.tape_value) +
                             ", finite difference " + num(r.numeric_value) + " (abs error " +
                             num(std::abs(r.tape_value - r.numeric_value)) + "; allowed " + num(options.atol) +
                             " + " + num(options.rtol) + "·|finite difference|)";
        }
        result.inputs.push_back(r);
    }
    if (options.print) std::cout << result.report();
    if (options.raise && !result.passed) throw Error(result.message);
    return result;
}

}  // namespace tg
