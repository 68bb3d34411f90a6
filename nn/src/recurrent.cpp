#include <tapegrad/check.hpp>
#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/recurrent.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/ops.hpp>

#include <cmath>
#include <string>

namespace tg::nn {
namespace {

template <class T>
using Gates = std::array<Tensor<T>, 4>;  // w_ih, w_hh, b_ih, b_hh (biases undefined if off)

/// Every layer's parameters, registered through `reg(name, tensor)` under PyTorch's names
/// (a cell's "weight_ih", ...; layer l of a sequence module's "weight_ih_l<l>", ...) in
/// PyTorch's order. Values U(−1/√H, 1/√H) drawn from *rng in that order, or zeros when
/// rng is null (reset(), before clone() copies the values in).
template <class T, class Register>
std::vector<Gates<T>> make_layers(std::size_t gates, std::size_t input_size, std::size_t hidden,
                                  std::size_t num_layers, bool bias, bool cell, Rng* rng,
                                  Register reg) {
    const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
    auto make = [&](const std::string& name, const Shape& shape) {
        return reg(name,
                   Tensor<T>(rng ? uniform<T>(shape, -k, k, *rng) : Array<T>(shape, T(0)), true));
    };
    std::vector<Gates<T>> layers;
    for (std::size_t l = 0; l < num_layers; ++l) {
        const std::string s = cell ? "" : "_l" + std::to_string(l);
        const std::size_t in = l == 0 ? input_size : hidden;
        Gates<T> p;
        p[0] = make("weight_ih" + s, {gates * hidden, in});
        p[1] = make("weight_hh" + s, {gates * hidden, hidden});
        if (bias) {
            p[2] = make("bias_ih" + s, {gates * hidden});
            p[3] = make("bias_hh" + s, {gates * hidden});
        }
        layers.push_back(p);
    }
    return layers;
}

/// x Wᵀ (+ b) for x (N, in).
template <class T>
Tensor<T> project(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
    return b.defined() ? linear(x, w, b) : matmul(x, transpose(w));
}

/// The steps of x (N, L, features), (N, features) each: select views (recorded only when x
/// needs a gradient; data do not). Each step's input is then projected on its own, inside
/// the recurrence. Projecting all steps in one product and taking step t as a select view
/// of the (N, L, gates·H) result was quadratic in L before views (a select's backward was
/// a tensor of its whole input); with views it is linear but still 1.3x slower at N = 256,
/// L = 50 (benchmarks/README.md, "Strided views (issue 27, stage 2)"): the whole product
/// and its gradient are live at once, where one step's projection stays in cache. Layers
/// above the first take the previous layer's outputs as they are, with no select at all.
template <class T>
std::vector<Tensor<T>> steps_of(const Tensor<T>& x) {
    std::vector<Tensor<T>> steps;
    for (std::size_t t = 0; t < x.shape()[1]; ++t) steps.push_back(select(x, 1, long(t)));
    return steps;
}

/// One LSTM step from the input's projection xw = x W_ihᵀ + b_ih, (N, 4H).
template <class T>
LSTMState<T> lstm_step(const Tensor<T>& xw, const LSTMState<T>& s, const Gates<T>& p) {
    const std::vector<Tensor<T>> g = chunk(xw + project(s.h, p[1], p[3]), 4, 1);  // i, f, g, o
    const Tensor<T> c = sigmoid(g[1]) * s.c + sigmoid(g[0]) * tanh(g[2]);
    return {sigmoid(g[3]) * tanh(c), c};
}

/// One GRU step from the input's projection xw = x W_ihᵀ + b_ih, (N, 3H).
template <class T>
Tensor<T> gru_step(const Tensor<T>& xw, const Tensor<T>& h, const Gates<T>& p) {
    const std::vector<Tensor<T>> gx = chunk(xw, 3, 1);  // the input's parts of r, z, n
    const std::vector<Tensor<T>> gh = chunk(project(h, p[1], p[3]), 3, 1);
    const Tensor<T> r = sigmoid(gx[0] + gh[0]);
    const Tensor<T> z = sigmoid(gx[1] + gh[1]);
    const Tensor<T> n = tanh(gx[2] + r * gh[2]);
    return (T(1) - z) * n + z * h;
}

/// tg::ShapeError unless x is (N, features) (rank 2) or (N, L, features) (rank 3), N, L > 0.
template <class T>
void check_input(const Module<T>& layer, const Tensor<T>& x, std::size_t rank,
                 std::size_t features) {
    bool ok = x.dim() == rank && x.shape()[rank - 1] == features;
    for (std::size_t a = 0; ok && a + 1 < rank; ++a) ok = x.shape()[a] > 0;
    TG_CHECK(ok, ShapeError, layer.describe(), " expects input ", (rank == 2 ? "(N, " : "(N, L, "),
             features, "); got ", x.value().shape());
}

/// The state tensor s, or zeros of `shape` when s is undefined; tg::ShapeError when s has
/// another shape.
template <class T>
Tensor<T> state_or_zeros(const Module<T>& layer, const char* what, const Tensor<T>& s,
                         const Shape& shape) {
    if (!s.defined()) return zeros<T>(shape);
    TG_CHECK(s.shape() == shape, ShapeError, layer.describe(), ": the initial ", what,
             " must have shape ", shape, "; got ", s.value().shape());
    return s;
}

std::string layer_name(const char* kind, std::size_t in, std::size_t hidden, std::size_t layers,
                       bool bias) {
    return std::string(kind) + "(" + std::to_string(in) + ", " + std::to_string(hidden) +
           (layers > 1 ? ", num_layers=" + std::to_string(layers) : "") +
           (bias ? "" : ", bias=" + repr(false)) + ")";
}

void check_sizes(const std::string& layer, std::size_t in, std::size_t hidden, std::size_t layers) {
    TG_CHECK(in > 0 && hidden > 0 && layers > 0, ValueError, layer,
             ": input_size, hidden_size and num_layers must be at least 1");
}

}  // namespace

// Each class draws its parameters in build(&rng) (constructors) and registers zeros in
// build(nullptr) (reset(), before clone() copies the values in).
#define TG_RECURRENT_BUILD(Class, gates, cell, num_layers)                                       \
    template <class T>                                                                           \
    void Class<T>::build(Rng* rng) {                                                             \
        layers_ = make_layers<T>(gates, input_size_, hidden_size_, num_layers, bias_, cell, rng, \
                                 [this](const std::string& name, Tensor<T> t) {                  \
                                     return this->register_parameter(name, std::move(t));        \
                                 });                                                             \
    }                                                                                            \
    template <class T>                                                                           \
    void Class<T>::reset() {                                                                     \
        build(nullptr);                                                                          \
    }
TG_RECURRENT_BUILD(LSTMCell, 4, true, 1)
TG_RECURRENT_BUILD(GRUCell, 3, true, 1)
TG_RECURRENT_BUILD(LSTM, 4, false, num_layers_)
TG_RECURRENT_BUILD(GRU, 3, false, num_layers_)
#undef TG_RECURRENT_BUILD

// ---- the cells -------------------------------------------------------------------------

template <class T>
LSTMCell<T>::LSTMCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size), bias_(bias) {
    check_sizes(describe(), input_size, hidden_size, 1);
    build(&rng);
}

template <class T>
LSTMCell<T>::LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : LSTMCell(input_size, hidden_size, default_rng(), bias) {}

template <class T>
LSTMState<T> LSTMCell<T>::forward(const Tensor<T>& x, const std::optional<LSTMState<T>>& state) {
    check_input(*this, x, 2, input_size_);
    const Shape shape{x.shape()[0], hidden_size_};
    const LSTMState<T> s{state_or_zeros(*this, "h", state ? state->h : Tensor<T>(), shape),
                         state_or_zeros(*this, "c", state ? state->c : Tensor<T>(), shape)};
    return lstm_step(project(x, layers_[0][0], layers_[0][2]), s, layers_[0]);
}

template <class T>
Tensor<T> LSTMCell<T>::forward(const Tensor<T>& x) {
    return forward(x, std::nullopt).h;
}

template <class T>
std::string LSTMCell<T>::describe() const {
    return layer_name("LSTMCell", input_size_, hidden_size_, 1, bias_);
}

template <class T>
GRUCell<T>::GRUCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size), bias_(bias) {
    check_sizes(describe(), input_size, hidden_size, 1);
    build(&rng);
}

template <class T>
GRUCell<T>::GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : GRUCell(input_size, hidden_size, default_rng(), bias) {}

template <class T>
Tensor<T> GRUCell<T>::forward(const Tensor<T>& x, const Tensor<T>& h) {
    check_input(*this, x, 2, input_size_);
    const Tensor<T> h0 = state_or_zeros(*this, "h", h, {x.shape()[0], hidden_size_});
    return gru_step(project(x, layers_[0][0], layers_[0][2]), h0, layers_[0]);
}

template <class T>
Tensor<T> GRUCell<T>::forward(const Tensor<T>& x) {
    return forward(x, Tensor<T>());
}

template <class T>
std::string GRUCell<T>::describe() const {
    return layer_name("GRUCell", input_size_, hidden_size_, 1, bias_);
}

// ---- over sequences --------------------------------------------------------------------
//
// Layer by layer: the first layer's input split into its steps (steps_of), each step's
// input projection x_t W_ihᵀ + b_ih on its own (see steps_of for why not one GEMM), then
// the recurrence; a layer's outputs, one per step, are the next layer's inputs.

template <class T>
LSTM<T>::LSTM(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers,
              bool bias)
    : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers), bias_(bias) {
    check_sizes(describe(), input_size, hidden_size, num_layers);
    build(&rng);
}

template <class T>
LSTM<T>::LSTM(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers, bool bias)
    : LSTM(input_size, hidden_size, default_rng(), num_layers, bias) {}

template <class T>
RecurrentOutput<T, LSTMState<T>> LSTM<T>::forward(const Tensor<T>& x,
                                                  const std::optional<LSTMState<T>>& state) {
    check_input(*this, x, 3, input_size_);
    const std::size_t steps = x.shape()[1];
    const Shape shape{num_layers_, x.shape()[0], hidden_size_};
    const Tensor<T> h0 = state_or_zeros(*this, "h", state ? state->h : Tensor<T>(), shape);
    const Tensor<T> c0 = state_or_zeros(*this, "c", state ? state->c : Tensor<T>(), shape);
    std::vector<Tensor<T>> inputs = steps_of(x);  // then each layer's outputs
    std::vector<Tensor<T>> h_n, c_n;
    for (std::size_t l = 0; l < num_layers_; ++l) {
        LSTMState<T> s{select(h0, 0, long(l)), select(c0, 0, long(l))};
        std::vector<Tensor<T>> outputs;
        for (std::size_t t = 0; t < steps; ++t) {
            s = lstm_step(project(inputs[t], layers_[l][0], layers_[l][2]), s, layers_[l]);
            outputs.push_back(s.h);
        }
        inputs = std::move(outputs);
        h_n.push_back(s.h);
        c_n.push_back(s.c);
    }
    return {stack(inputs, 1), {stack(h_n, 0), stack(c_n, 0)}};
}

template <class T>
Tensor<T> LSTM<T>::forward(const Tensor<T>& x) {
    return forward(x, std::nullopt).output;
}

template <class T>
std::string LSTM<T>::describe() const {
    return layer_name("LSTM", input_size_, hidden_size_, num_layers_, bias_);
}

template <class T>
GRU<T>::GRU(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers,
            bool bias)
    : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers), bias_(bias) {
    check_sizes(describe(), input_size, hidden_size, num_layers);
    build(&rng);
}

template <class T>
GRU<T>::GRU(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers, bool bias)
    : GRU(input_size, hidden_size, default_rng(), num_layers, bias) {}

template <class T>
RecurrentOutput<T, Tensor<T>> GRU<T>::forward(const Tensor<T>& x, const Tensor<T>& h0) {
    check_input(*this, x, 3, input_size_);
    const std::size_t steps = x.shape()[1];
    const Tensor<T> h_0 = state_or_zeros(*this, "h", h0, {num_layers_, x.shape()[0], hidden_size_});
    std::vector<Tensor<T>> inputs = steps_of(x);  // then each layer's outputs
    std::vector<Tensor<T>> h_n;
    for (std::size_t l = 0; l < num_layers_; ++l) {
        Tensor<T> h = select(h_0, 0, long(l));
        std::vector<Tensor<T>> outputs;
        for (std::size_t t = 0; t < steps; ++t) {
            h = gru_step(project(inputs[t], layers_[l][0], layers_[l][2]), h, layers_[l]);
            outputs.push_back(h);
        }
        inputs = std::move(outputs);
        h_n.push_back(h);
    }
    return {stack(inputs, 1), stack(h_n, 0)};
}

template <class T>
Tensor<T> GRU<T>::forward(const Tensor<T>& x) {
    return forward(x, Tensor<T>()).output;
}

template <class T>
std::string GRU<T>::describe() const {
    return layer_name("GRU", input_size_, hidden_size_, num_layers_, bias_);
}

template class LSTMCell<float>;
template class LSTMCell<double>;
template class GRUCell<float>;
template class GRUCell<double>;
template class LSTM<float>;
template class LSTM<double>;
template class GRU<float>;
template class GRU<double>;

}  // namespace tg::nn
