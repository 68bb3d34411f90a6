#include <tapegrad/check.hpp>
#include <tapegrad/detail/vectorize.hpp>
#include <tapegrad/reference/network.hpp>

#include <cblas.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>

namespace tg::nn::reference {
namespace {

/// C = alpha · op(A) · op(B) + beta · C on row-major buffers; op transposes when set.
/// A is (M, K) after op, B is (K, Nc) after op, C is (M, Nc).
void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
          double alpha, const double* a, std::size_t lda, const double* b, std::size_t ldb,
          double beta, double* c, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
                static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
                static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
                static_cast<blasint>(ldc));
}
void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
          float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
          float* c, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
                static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
                static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
                static_cast<blasint>(ldc));
}

/// Resizes `a` to (rows, cols) only when its shape differs (keeps the buffer otherwise).
template <class T>
void ensure_shape(Array<T>& a, std::size_t rows, std::size_t cols) {
    if (a.dimension() != 2 || a.shape()[0] != rows || a.shape()[1] != cols) a.resize({rows, cols});
}

/// A = act(Z), elementwise over n values. Large arrays go through xtensor's xsimd
/// kernels (vectorized exp and tanh); small ones through a plain loop, which is faster
/// below kVectorizedMinSize values. (The formulas are written here again on purpose: the
/// reference is an independent witness of the ops' gradients.)
template <class T>
void activate(Activation act, T slope, const T* z, T* a, std::size_t n) {
    const bool transcendental =
        act == Activation::sigmoid || act == Activation::tanh || act == Activation::softplus;
    if (transcendental && n >= detail::kVectorizedMinSize) {
        const std::array<std::size_t, 1> shape{n};
        auto zv = xt::adapt(z, n, xt::no_ownership(), shape);
        auto av = xt::adapt(a, n, xt::no_ownership(), shape);
        if (act == Activation::sigmoid)
            av = T(1) / (T(1) + xt::exp(-zv));
        else if (act == Activation::tanh)
            av = xt::tanh(zv);
        else
            av = xt::maximum(zv, T(0)) + xt::log1p(xt::exp(-xt::abs(zv)));
        return;
    }
    switch (act) {
        case Activation::identity: std::copy_n(z, n, a); break;
        case Activation::sigmoid:
            for (std::size_t i = 0; i < n; ++i) a[i] = T(1) / (T(1) + std::exp(-z[i]));
            break;
        case Activation::tanh:
            for (std::size_t i = 0; i < n; ++i) a[i] = std::tanh(z[i]);
            break;
        case Activation::relu:
            for (std::size_t i = 0; i < n; ++i) a[i] = z[i] > T(0) ? z[i] : T(0);
            break;
        case Activation::leaky_relu:
            for (std::size_t i = 0; i < n; ++i) a[i] = z[i] > T(0) ? z[i] : slope * z[i];
            break;
        case Activation::softplus:  // max(z, 0) + log1p(e^−|z|): no overflow for large z
            for (std::size_t i = 0; i < n; ++i)
                a[i] = std::max(z[i], T(0)) + std::log1p(std::exp(-std::abs(z[i])));
            break;
    }
}

/// d ⊙= act'(Z), using A = act(Z) where that is cheaper:
/// σ' = A(1 − A), tanh' = 1 − A², relu' = [Z > 0], leaky' = Z > 0 ? 1 : slope,
/// softplus' = σ(Z), identity' = 1.
template <class T>
void multiply_derivative(Activation act, T slope, const T* z, const T* a, T* d, std::size_t n) {
    switch (act) {
        case Activation::identity: break;
        case Activation::sigmoid:
            for (std::size_t i = 0; i < n; ++i) d[i] *= a[i] * (T(1) - a[i]);
            break;
        case Activation::tanh:
            for (std::size_t i = 0; i < n; ++i) d[i] *= T(1) - a[i] * a[i];
            break;
        case Activation::relu:
            for (std::size_t i = 0; i < n; ++i) d[i] = z[i] > T(0) ? d[i] : T(0);
            break;
        case Activation::leaky_relu:
            for (std::size_t i = 0; i < n; ++i) d[i] = z[i] > T(0) ? d[i] : slope * d[i];
            break;
        case Activation::softplus:
            for (std::size_t i = 0; i < n; ++i) d[i] *= T(1) / (T(1) + std::exp(-z[i]));
            break;
    }
}

template <class T>
void check_layers(const std::vector<Layer<T>>& layers) {
    TG_CHECK(!layers.empty(), ValueError, "reference::Network: needs at least one layer");
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const Layer<T>& l = layers[i];
        const bool ok = l.weight.dimension() == 2 && l.weight.size() > 0 &&
                        l.bias.dimension() == 1 && l.bias.shape()[0] == l.weight.shape()[0];
        TG_CHECK(ok, ShapeError, "reference::Network: layer ", i, " has weight ", l.weight.shape(),
                 " and bias ", l.bias.shape(), "; a layer needs weight (out, in) and bias (out)");
        TG_CHECK(i == 0 || l.weight.shape()[1] == layers[i - 1].weight.shape()[0], ShapeError,
                 "reference::Network: layer ", i, " takes ", l.weight.shape()[1],
                 " inputs but layer ", i - 1, " gives ", layers[i - 1].weight.shape()[0],
                 " outputs");
    }
}

}  // namespace

template <class T>
Network<T>::Network(std::vector<Layer<T>> layers) : layers_(std::move(layers)) {
    check_layers(layers_);
    const std::size_t depth = layers_.size();
    z_.resize(depth);
    a_.resize(depth + 1);
    dz_.resize(depth);
    dw_.resize(depth);
    db_.resize(depth);
}

template <class T>
const Array<T>& Network<T>::forward(const Array<T>& x) {
    check_layers(layers_);
    const std::size_t in = layers_.front().weight.shape()[1];
    TG_CHECK(x.dimension() == 2 && x.shape()[1] == in && x.shape()[0] > 0, ShapeError,
             "reference::Network::forward: X has shape ", x.shape(), "; it needs (N, ", in,
             ") with N >= 1");
    const std::size_t n = x.shape()[0];
    ensure_shape(a_[0], n, in);
    std::copy_n(x.data(), x.size(), a_[0].data());
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        const Layer<T>& l = layers_[i];
        const std::size_t out = l.weight.shape()[0], fan_in = l.weight.shape()[1];
        ensure_shape(z_[i], n, out);
        ensure_shape(a_[i + 1], n, out);
        T* z = z_[i].data();
        // Z_i = b_i broadcast over rows, then Z_i += A_{i−1} W_iᵀ (GEMM with beta = 1).
        for (std::size_t r = 0; r < n; ++r) std::copy_n(l.bias.data(), out, z + r * out);
        gemm(false, true, n, out, fan_in, T(1), a_[i].data(), fan_in, l.weight.data(), fan_in, T(1),
             z, out);
        activate(l.activation, l.slope, z, a_[i + 1].data(), n * out);
    }
    forward_ran_ = true;
    backward_ran_ = false;
    return a_.back();
}

template <class T>
const Array<T>& Network<T>::output() const {
    TG_CHECK(forward_ran_, ValueError, "reference::Network::output: run forward first");
    return a_.back();
}

template <class T>
T Network<T>::loss(const Array<T>& y) const {
    const Array<T>& a = output();
    TG_CHECK(std::equal(y.shape().begin(), y.shape().end(), a.shape().begin(), a.shape().end()),
             ShapeError, "reference::Network::loss: Y has shape ", y.shape(),
             " but the output has shape ", a.shape());
    T sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const T d = a.data()[i] - y.data()[i];
        sum += d * d;
    }
    return sum / T(2 * a.shape()[0]);
}

template <class T>
void Network<T>::backward(const Array<T>& y) {
    backward(y, true);
}

template <class T>
void Network<T>::backward(const Array<T>& y, bool with_input_grad) {
    const Array<T>& output = this->output();
    TG_CHECK(std::equal(y.shape().begin(), y.shape().end(), output.shape().begin(),
                        output.shape().end()),
             ShapeError, "reference::Network::backward: Y has shape ", y.shape(),
             " but the output has shape ", output.shape(), "; they must match");
    const std::size_t depth = layers_.size();
    const std::size_t n = output.shape()[0];
    const T inv_n = T(1) / T(n);

    // 1. dZ_L = (A_L − Y) ⊙ act_L'(Z_L)
    {
        const Layer<T>& l = layers_.back();
        Array<T>& dz = dz_.back();
        ensure_shape(dz, n, l.weight.shape()[0]);
        for (std::size_t i = 0; i < dz.size(); ++i) dz.data()[i] = output.data()[i] - y.data()[i];
        multiply_derivative(l.activation, l.slope, z_.back().data(), output.data(), dz.data(),
                            dz.size());
    }
    for (std::size_t i = depth; i-- > 0;) {
        const Layer<T>& l = layers_[i];
        const std::size_t out = l.weight.shape()[0], fan_in = l.weight.shape()[1];
        const T* dz = dz_[i].data();
        // 3. dW_i = dZ_iᵀ · A_{i−1} / N,  db_i = mean over rows of dZ_i
        ensure_shape(dw_[i], out, fan_in);
        gemm(true, false, out, fan_in, n, inv_n, dz, out, a_[i].data(), fan_in, T(0), dw_[i].data(),
             fan_in);
        Array<T>& db = db_[i];
        if (db.dimension() != 1 || db.shape()[0] != out) db.resize({out});
        std::fill(db.begin(), db.end(), T(0));
        for (std::size_t r = 0; r < n; ++r)
            for (std::size_t c = 0; c < out; ++c) db.data()[c] += dz[r * out + c];
        for (std::size_t c = 0; c < out; ++c) db.data()[c] *= inv_n;
        if (i > 0) {
            // 2. dA_{i−1} = dZ_i · W_i,  dZ_{i−1} = dA_{i−1} ⊙ act_{i−1}'(Z_{i−1})
            const Layer<T>& below = layers_[i - 1];
            ensure_shape(dz_[i - 1], n, fan_in);
            gemm(false, false, n, fan_in, out, T(1), dz, out, l.weight.data(), fan_in, T(0),
                 dz_[i - 1].data(), fan_in);
            multiply_derivative(below.activation, below.slope, z_[i - 1].data(), a_[i].data(),
                                dz_[i - 1].data(), n * fan_in);
        } else if (with_input_grad) {
            // dL/dX = dA_0 / N = dZ_1 · W_1 / N
            ensure_shape(dx_, n, fan_in);
            gemm(false, false, n, fan_in, out, inv_n, dz, out, l.weight.data(), fan_in, T(0),
                 dx_.data(), fan_in);
        }
    }
    backward_ran_ = true;
    input_grad_ran_ = with_input_grad;
}

template <class T>
void Network<T>::update(T learning_rate) {
    check_backward_ran("update");
    // 4. W_i −= α dW_i,  b_i −= α db_i
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        Layer<T>& l = layers_[i];
        const T* dw = dw_[i].data();
        const T* db = db_[i].data();
        T* w = l.weight.data();
        T* b = l.bias.data();
        for (std::size_t k = 0; k < l.weight.size(); ++k) w[k] -= learning_rate * dw[k];
        for (std::size_t k = 0; k < l.bias.size(); ++k) b[k] -= learning_rate * db[k];
    }
}

template <class T>
T Network<T>::train_step(const Array<T>& x, const Array<T>& y, T learning_rate) {
    forward(x);
    const T value = loss(y);
    backward(y, false);  // training needs no dL/dX
    update(learning_rate);
    return value;
}

template <class T>
void Network<T>::check_backward_ran(const char* what) const {
    TG_CHECK(backward_ran_, ValueError, "reference::Network::", what,
             ": no gradients yet; run forward(x) and backward(y) first");
}

template <class T>
const Array<T>& Network<T>::grad_weight(std::size_t i) const {
    check_backward_ran("grad_weight");
    return dw_.at(i);
}

template <class T>
const Array<T>& Network<T>::grad_bias(std::size_t i) const {
    check_backward_ran("grad_bias");
    return db_.at(i);
}

template <class T>
const Array<T>& Network<T>::grad_input() const {
    check_backward_ran("grad_input");
    TG_CHECK(input_grad_ran_, ValueError,
             "reference::Network::grad_input: the last backward skipped dL/dX (train_step does); "
             "call backward(y) for it");
    return dx_;
}

template struct Layer<float>;
template struct Layer<double>;
template class Network<float>;
template class Network<double>;

}  // namespace tg::nn::reference
