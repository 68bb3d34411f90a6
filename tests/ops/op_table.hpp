#pragma once
// The op table, as PyTorch's OpInfo (torch/testing/_internal/common_methods_invocations.py):
// one row per op, read by every per-op test. A row gives the op's name as the README's op
// list spells it, the name its tape entries carry, how to call it on sample inputs and
// where those inputs are drawn from, and, for an elementwise op, its value and
// derivatives as functions of doubles. The tests that read it:
//   gradcheck_table_test.cpp    first and second derivatives against finite differences
//   elementwise_values_test.cpp elementwise values against the reference, float and double
//   fused_vs_composite_test.cpp elementwise gradients both ways against the reference
//   recorded_names_test.cpp     the name on the tape
//   readme_op_list_test.cpp     the README's op list names exactly the table's ops
// Adding an op is one row in op_table.cpp.

#include "op_test_util.hpp"

#include <functional>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>
#include <xtensor/xarray.hpp>

namespace tg::test {

using Inputs = std::vector<Tensor<double>>;

/// Where an input's values are drawn from: uniform in [lo, hi], at least kKinkMargin away
/// from every kink, with a random sign when `random_signs`; or, when `grid_phase` is set,
/// the distinct values 0.1·(k − ⌊n/2⌋) + grid_phase (k = 0 … n − 1) shuffled, so no two
/// elements tie (and two inputs whose phases differ by 0.05 never tie with each other).
struct Domain {
    double lo = -1.5;
    double hi = 1.5;
    std::vector<double> kinks;
    bool random_signs = false;
    double grid_phase = std::numeric_limits<double>::quiet_NaN();
};

constexpr double kKinkMargin = 0.05;  // far larger than gradcheck's step (1e-6)

inline Domain any_value(double lo = -1.5, double hi = 1.5) { return {lo, hi, {}, false}; }
inline Domain positive() { return {0.5, 2.0, {}, false}; }
inline Domain away_from(std::vector<double> kinks, double lo = -1.5, double hi = 1.5) {
    return {lo, hi, std::move(kinks), false};
}
/// |x| uniform in [lo, hi] (lo > 0), either sign: away from 0, and no two |x| tie.
inline Domain signed_magnitudes(double lo, double hi) { return {lo, hi, {}, true}; }
inline Domain distinct(double phase = 0) {
    Domain d;
    d.grid_phase = phase;
    return d;
}

/// Values of `shape` drawn from `d`, in double.
xt::xarray<double> draw(const Shape& shape, const Domain& d, std::mt19937_64& rng);

/// One call of an op for the gradient checks: its inputs and the function of them.
struct Sample {
    std::string label;            ///< added to the op's test name ("" for none)
    std::vector<Shape> shapes;    ///< one per input
    std::vector<Domain> domains;  ///< one per input, or a single one for all inputs
    GradcheckFunction f;
};

/// The sample's inputs, drawn from its domains with a generator seeded by `name`.
Inputs draw_inputs(const Sample& s, const std::string& name);

template <class T>
using UnaryOp = std::function<Tensor<T>(const Tensor<T>&)>;
template <class T>
using BinaryOp = std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)>;
using Scalar1 = std::function<double(double)>;
using Scalar2 = std::function<double(double, double)>;

/// The function whose second derivatives gradgradcheck checks, of the op's output y and
/// its inputs x. square(y) by default: its second derivative, 2 Jᵀ diag(u) J + 2 Σ u y H,
/// runs through the op's recorded backward and is not identically 0 even for an op that
/// is linear (H = 0), as long as the gradient J is not 0.
using SecondOrder = std::function<Tensor<double>(const Tensor<double>& y, const Inputs& x)>;

/// The inputs' domains of one elementwise sample set (`b` for binary ops only).
struct ElementwiseDomain {
    std::string label;  ///< "" for the op's main domain
    Domain a, b;
};

/// One row: an op, or one parameter set of it (`variant`).
struct OpInfo {
    enum class Kind {
        unary,               ///< elementwise y = f(x): reference value and derivative
        binary,              ///< elementwise y = f(a, b), broadcasting: reference and both partials
        general,             ///< any other differentiable op: samples only
        not_differentiable,  ///< a result without gradient, recording nothing
    };
    Kind kind = Kind::general;
    std::string name;     ///< as the README's op list spells it: "sin", "+", "logaddexp"
    std::string variant;  ///< a parameter set of the op, in test names: "alpha_0_5"
    /// The name of an entry each of its samples records: the op's own by default; "" for
    /// a composite recorded only as the ops it is made of, and for an op without gradient.
    std::string recorded;
    std::vector<Sample> samples;
    SecondOrder second_order;

    // Elementwise rows: the op in float and double, its reference in double, and where
    // its inputs are drawn from (the first domain also gives the broadcasting samples).
    UnaryOp<float> unary_float;
    UnaryOp<double> unary_double;
    BinaryOp<float> binary_float;
    BinaryOp<double> binary_double;
    Scalar1 value1, derivative;
    Scalar2 value2, da, db;
    std::vector<ElementwiseDomain> domains;

    /// "sin", "elu_alpha_0_5", "operator_plus_tensors": usable in a GoogleTest name.
    std::string test_name() const;
    bool elementwise() const { return kind == Kind::unary || kind == Kind::binary; }
    template <class T>
    const UnaryOp<T>& unary() const {
        if constexpr (std::is_same_v<T, float>)
            return unary_float;
        else
            return unary_double;
    }
    template <class T>
    const BinaryOp<T>& binary() const {
        if constexpr (std::is_same_v<T, float>)
            return binary_float;
        else
            return binary_double;
    }
};

/// Every op, once (the rows are built on first use).
const std::vector<OpInfo>& op_table();

/// The shapes whose every ordered pair a binary elementwise op is gradchecked on.
extern const std::vector<Shape> kBroadcastShapes;

/// The shapes an elementwise op's values and gradients (fused and composite) are checked
/// on against its reference: sizes on both sides of kVectorizedMinSize (a plain loop
/// below, xtensor's vectorized expression from there on), a 3-D and a 0-d shape.
std::vector<Shape> unary_check_shapes();
/// The same for a binary op: every pair of kBroadcastShapes, equal shapes below and above
/// kVectorizedMinSize (the fused backward), and larger broadcasting pairs.
std::vector<std::pair<Shape, Shape>> binary_check_shapes();

}  // namespace tg::test
