#pragma once
// --check: the network's gradients computed three independent ways, compared layer by layer.

#include <tapegrad/nn/sequential.hpp>

namespace trapezoid {

/// For L = (1/2N) Σ (net(x) − y)² at the network's current weights, computes every dW_i,
/// db_i and dL/dx
///   1. with the tape (tape.gradient),
///   2. with tg::nn::reference, the classic backpropagation formulas with no tape,
///   3. with central finite differences (L(θ + ε) − L(θ − ε)) / 2ε, one element at a time,
/// prints the largest disagreement of each pair per layer, and returns whether the tape
/// and the reference agree to 1e-10 and both match finite differences to 1e-6 (each
/// relative to the largest gradient of the layer).
bool three_way_check(tg::nn::Sequential<double>& net, const tg::Array<double>& x,
                     const tg::Array<double>& y);

}  // namespace trapezoid
