#pragma once
// tg::nn::reference: a dense network trained by the classic backpropagation formulas,
// written with plain xtensor arrays and BLAS GEMM, with no tape. It is the yardstick
// for the tape's gradients and for what a tape costs.
//
// Layers are numbered i = 1..L in the formulas and 0..L−1 in the API. With X of
// shape (N, in) (examples in rows), A_0 = X:
//
//     Z_i = A_{i−1} W_iᵀ + b_i,   A_i = act_i(Z_i)                           (forward)
//  1. dZ_L = (A_L − Y) ⊙ act_L'(Z_L)
//  2. dA_{i−1} = dZ_i · W_i,   dZ_{i−1} = dA_{i−1} ⊙ act_{i−1}'(Z_{i−1})
//  3. dW_i = dZ_iᵀ · A_{i−1} / N,   db_i = mean over rows of dZ_i
//  4. W_i −= α dW_i,   b_i −= α db_i
//
// dW_i and db_i are the gradients of L = (1 / 2N) Σ_n Σ_j (A_L − Y)²_nj, which is
// tg::nn::half_sse_per_example. The formulas carry the 1/N in step 3, so the gradient
// of L with respect to X is dX = dA_0 / N; grad_input() returns that, the same
// quantity the tape computes.
//
// Every product is one cblas_?gemm on the raw buffers with transpose flags; buffers are
// kept from step to step, so a step at a fixed batch size allocates nothing.
//
// It is the independent witness of the tape's gradients, so it is its own target,
// tapegrad::reference, which links only tapegrad::core (for Array, the errors and the
// pool) and cblas: an include of an op does not compile here. The network is described
// plainly (weights, biases, activations); the bridge from a tg::nn::Sequential is in
// <tapegrad/nn/reference.hpp>.

#include <tapegrad/array.hpp>
#include <tapegrad/error.hpp>

#include <cstddef>
#include <vector>

namespace tg::nn::reference {

/// The activation after a layer.
enum class Activation { identity, sigmoid, tanh, relu, leaky_relu, softplus };

/// One dense layer and the activation that follows it.
template <class T = double>
struct Layer {
    Array<T> weight;  ///< W, shape (out, in)
    Array<T> bias;    ///< b, shape (out)
    /// The activation after the layer.
    Activation activation = Activation::identity;
    T slope = T(0.01);  ///< negative slope, for Activation::leaky_relu
};

/// A dense network trained by the classic formulas above.
template <class T = double>
class Network {
public:
    /// Layers in order; shapes must chain (layer i's `in` is layer i−1's `out`).
    explicit Network(std::vector<Layer<T>> layers);

    /// Forward pass on X (N, in); keeps Z_i and A_i for backward. Returns A_L.
    const Array<T>& forward(const Array<T>& x);
    /// L = (1 / 2N) Σ (A_L − Y)² for the last forward pass.
    T loss(const Array<T>& y) const;
    /// Steps 1–3 for the last forward pass and targets Y (shape of A_L), and dL/dX.
    void backward(const Array<T>& y);
    /// The same; dL/dX (one more GEMM) only when `with_input_grad`.
    void backward(const Array<T>& y, bool with_input_grad);
    /// Step 4 with learning rate α, using the last backward's gradients.
    void update(T learning_rate);
    /// forward, backward (without dL/dX), update; returns the loss before the update.
    T train_step(const Array<T>& x, const Array<T>& y, T learning_rate);

    /// Number of layers L.
    std::size_t depth() const { return layers_.size(); }
    /// Layer i (0-based).
    const Layer<T>& layer(std::size_t i) const { return layers_.at(i); }
    /// Write access to layer i's weights (shapes must stay the same).
    Layer<T>& layer(std::size_t i) { return layers_.at(i); }
    /// A_L of the last forward pass.
    const Array<T>& output() const;
    /// dW_i of the last backward pass (layer i, 0-based).
    const Array<T>& grad_weight(std::size_t i) const;
    /// db_i of the last backward pass.
    const Array<T>& grad_bias(std::size_t i) const;
    /// dL/dX = dA_0 / N of the last backward pass.
    const Array<T>& grad_input() const;

private:
    void check_backward_ran(const char* what) const;

    std::vector<Layer<T>> layers_;
    std::vector<Array<T>> z_;   ///< Z_i, (N, out_i)
    std::vector<Array<T>> a_;   ///< A_0 = X, A_1, ..., A_L
    std::vector<Array<T>> dz_;  ///< dZ_i, (N, out_i)
    std::vector<Array<T>> dw_;  ///< dW_i
    std::vector<Array<T>> db_;  ///< db_i
    Array<T> dx_;
    bool forward_ran_ = false;
    bool backward_ran_ = false;
    bool input_grad_ran_ = false;
};

extern template struct Layer<float>;
extern template struct Layer<double>;
extern template class Network<float>;
extern template class Network<double>;

}  // namespace tg::nn::reference
