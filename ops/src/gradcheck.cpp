#include <tapegrad/check.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/gradcheck.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/reduce.hpp>
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
/// size 0 asks for a random vector whatever the shape.
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
    out << "  input  shape            max abs err   max rel err   worst element    tape          "
           "finite diff\n";
    for (const auto& r : inputs) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "  %-5zu  %-15s  %-12.3g  %-12.3g  %-15s  %-12.6g  %-12.6g%s\n", r.input,
                      shape_str(r.shape).c_str(), r.max_abs_error, r.max_rel_error,
                      shape_str(r.worst_position).c_str(), r.tape_value, r.numeric_value,
                      r.passed ? "" : "  FAIL");
        out << line;
    }
    if (!passed) out << "  " << message << "\n";
    return out.str();
}

namespace {

std::vector<Tensor<double>> leaf_copies(const std::vector<Tensor<double>>& inputs,
                                        bool requires_grad, const char* who) {
    std::vector<Tensor<double>> out;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        TG_CHECK(inputs[i].defined(), ValueError, who, ": input #", i, " is undefined");
        out.push_back(Tensor<double>(Array<double>(inputs[i].value()), requires_grad));
    }
    return out;
}

std::vector<Tensor<double>> zeros_like(const std::vector<Tensor<double>>& xs) {
    std::vector<Tensor<double>> out;
    for (const auto& x : xs)
        out.push_back(Tensor<double>(Array<double>(xt::zeros<double>(x.value().shape()))));
    return out;
}

/// Compares `analytic` (one gradient per input) with central finite differences of the
/// scalar `scalar_of(work)`, perturbing each element of each tensor in `work` in place.
template <class F>
GradcheckResult compare_with_finite_differences(const char* who, std::vector<Tensor<double>>& work,
                                                const std::vector<Tensor<double>>& analytic,
                                                F&& scalar_of, const GradcheckOptions& options) {
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
            const double plus = scalar_of();
            x = original - options.eps;
            const double minus = scalar_of();
            x = original;
            const double numeric = (plus - minus) / (2 * options.eps);
            const double a = tape_grad[j];
            const double abs_err = std::abs(a - numeric);
            const double rel_err = abs_err / std::max({std::abs(numeric), std::abs(a), 1e-300});
            const double excess = abs_err - (options.atol + options.rtol * std::abs(numeric));
            r.max_abs_error = std::max(r.max_abs_error, abs_err);
            r.max_rel_error = std::max(r.max_rel_error, abs_err == 0 ? 0.0 : rel_err);
            r.max_abs_finite_difference = std::max(r.max_abs_finite_difference, std::abs(numeric));
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
            result.message =
                std::string(who) + " failed for input #" + std::to_string(i) + " (shape " +
                shape_str(r.shape) + ") at element " + std::to_string(r.worst_index) + " (index " +
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

}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& options) {
    std::vector<Tensor<double>> params = leaf_copies(inputs, true, "gradcheck");

    // The tape's side: the gradient of <f(x), v>, i.e. a backward seeded with v.
    Array<double> v;
    std::vector<Tensor<double>> analytic;
    {
        Tape tape;
        Tensor<double> y = f(params);
        TG_CHECK(y.defined(), ValueError, "gradcheck: the function returned an undefined tensor");
        v = projection(y.shape(), y.size(), options.seed);
        analytic = y.requires_grad() ? tape.gradient(y, params, Tensor<double>(Array<double>(v)))
                                     : zeros_like(params);
    }

    // The finite-difference side: (<f(x + εe), v> − <f(x − εe), v>) / 2ε per element.
    std::vector<Tensor<double>> work = leaf_copies(params, false, "gradcheck");
    auto scalar_of = [&] {
        NoGradGuard no_grad;
        Tensor<double> y = f(work);
        TG_CHECK(y.size() == v.size(), ValueError,
                 "gradcheck: the function's output changed shape between evaluations");
        return dot(y.value(), v);
    };
    return compare_with_finite_differences("gradcheck", work, analytic, scalar_of, options);
}

GradcheckResult gradgradcheck(const GradcheckFunction& f, const std::vector<Tensor<double>>& inputs,
                              GradcheckOptions options) {
    std::vector<Tensor<double>> params = leaf_copies(inputs, true, "gradgradcheck");
    Array<double> u;               // projection of f's output
    std::vector<Array<double>> v;  // projection of the first derivatives
    std::vector<Tensor<double>> analytic;
    {
        Tape tape;
        Tensor<double> y = f(params);
        TG_CHECK(y.defined(), ValueError,
                 "gradgradcheck: the function returned an undefined tensor");
        u = projection(y.shape(), y.size(), options.seed);
        for (std::size_t i = 0; i < params.size(); ++i)
            v.push_back(projection(params[i].shape(), 0, options.seed + 1 + i));
        if (!y.requires_grad()) {
            analytic = zeros_like(params);
        } else {
            BackwardOptions create;
            create.create_graph = true;
            std::vector<Tensor<double>> g =
                tape.gradient(y, params, Tensor<double>(Array<double>(u)), create);
            // s = Σ_i <g_i, v_i>, recorded so that it can be differentiated again.
            Tensor<double> s;
            for (std::size_t i = 0; i < g.size(); ++i) {
                Tensor<double> term = sum(g[i] * Tensor<double>(Array<double>(v[i])));
                s = s.defined() ? s + term : term;
            }
            analytic =
                s.defined() && s.requires_grad() ? tape.gradient(s, params) : zeros_like(params);
        }
    }

    // s(x) at perturbed x, each from a first-order backward on a fresh tape.
    std::vector<Tensor<double>> work = leaf_copies(params, true, "gradgradcheck");
    auto scalar_of = [&] {
        Tape tape;
        Tensor<double> y = f(work);
        TG_CHECK(y.size() == u.size(), ValueError,
                 "gradgradcheck: the function's output changed shape between evaluations");
        if (!y.requires_grad()) return 0.0;
        std::vector<Tensor<double>> g = tape.gradient(y, work, Tensor<double>(Array<double>(u)));
        double s = 0;
        for (std::size_t i = 0; i < g.size(); ++i) s += dot(g[i].value(), v[i]);
        return s;
    };
    return compare_with_finite_differences("gradgradcheck", work, analytic, scalar_of, options);
}

}  // namespace tg
