#pragma once
// tg::gradcheck and tg::gradgradcheck: the tape's first and second derivatives against
// central finite differences, in double.
//
//     auto f = [](const std::vector<tg::Tensor<>>& in) { return tg::sum(tg::tanh(in[0] * in[1])); };
//     tg::GradcheckResult r = tg::gradcheck(f, {x, w});
//     if (!r) std::cerr << r.message << "\n";   // names the input and element
//
// For an output y with several elements, both sides differentiate the scalar <y, v> for
// a fixed random v (seeded), which checks the whole Jacobian against v in one sweep.

#include <tapegrad/tensor.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tg {

/// Tolerances and step of tg::gradcheck.
struct GradcheckOptions {
    double eps = 1e-6;   ///< finite-difference step
    double atol = 1e-5;  ///< an element passes when |tape − fd| <= atol + rtol·|fd|
    /// Relative tolerance.
    double rtol = 1e-3;
    bool print = false;      ///< print the per-input report to stdout
    bool raise = false;      ///< throw tg::Error with the failure message instead of returning
    std::uint64_t seed = 0;  ///< seed of the projection vector v
};

/// The comparison for one input.
struct GradcheckInputReport {
    /// Index of the input.
    std::size_t input = 0;
    /// Shape of the input.
    Shape shape;
    double max_abs_error = 0;     ///< max over elements of |tape − fd|
    double max_rel_error = 0;     ///< max over elements of |tape − fd| / max(|fd|, |tape|, tiny)
    std::size_t worst_index = 0;  ///< flat index of the element furthest outside tolerance
    Shape worst_position;         ///< the same element as a multi-index
    double tape_value = 0;        ///< the tape's gradient at the worst element
    double numeric_value = 0;     ///< the finite difference at the worst element
    /// max over elements of |fd|. Near 0 when the checked derivative vanishes in this
    /// input (a linear function's second derivative): the check then compares zeros, which
    /// a wrong formula may pass too; check a function whose derivative does not vanish.
    double max_abs_finite_difference = 0;
    /// Whether every element is within tolerance.
    bool passed = true;
};

/// What tg::gradcheck found, per input.
struct GradcheckResult {
    /// Whether every input passed.
    bool passed = true;
    /// One report per input.
    std::vector<GradcheckInputReport> inputs;
    /// "" when passed; otherwise the first failing input and element, both values.
    std::string message;
    /// A table: one line per input with its max errors and worst element.
    std::string report() const;
    /// passed.
    explicit operator bool() const { return passed; }
};

/// A function of a list of tensors (what gradcheck checks), in double.
using GradcheckFunction = std::function<Tensor<double>(const std::vector<Tensor<double>>&)>;

/// Checks d f / d inputs. Every input is treated as a parameter (its values are copied;
/// the caller's tensors are not changed).
GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& options = {});

/// Checks second derivatives: with g(x) = ∇<f(x), u> taken by the tape with create_graph,
/// the tape's gradient of s(x) = <g(x), v> (u, v fixed random vectors) is compared with
/// central finite differences of s, each s computed by a first-order backward. Same
/// report as gradcheck; the default tolerances are looser (differences of gradients).
GradcheckResult gradgradcheck(const GradcheckFunction& f, const std::vector<Tensor<double>>& inputs,
                              GradcheckOptions options = {1e-5, 1e-4, 1e-3});

}  // namespace tg
