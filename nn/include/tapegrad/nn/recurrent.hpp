#pragma once
// Recurrent layers as PyTorch's: LSTMCell, GRUCell, and the multi-step, multi-layer LSTM
// and GRU. Same gate order (LSTM: i, f, g, o; GRU: r, z, n), same parameter names
// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...; the cells: weight_ih,
// weight_hh, bias_ih, bias_hh) and shapes, so a .npz of PyTorch's state_dict loads; same
// initialization rule, U(−1/√H, 1/√H) for every parameter (drawn from a tg::nn::Rng).
//
// Differences from PyTorch: LSTM and GRU are always batch-first (input (N, L, features),
// PyTorch's batch_first=True), one direction, no dropout between layers.

#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/random.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace tg::nn {

/// An LSTM's state: hidden h and cell c. For a cell: each (N, H); for LSTM: each
/// (num_layers, N, H).
template <class T = double>
struct LSTMState {
    Tensor<T> h;  ///< hidden state
    Tensor<T> c;  ///< cell state
};

/// One LSTM step: with gates = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh split as (i, f, g, o),
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
template <class T = double>
class LSTMCell : public Cloneable<LSTMCell<T>, T> {
public:
    /// Weights U(−1/√H, 1/√H) from `rng` (PyTorch's rule); no biases when `bias` is false.
    LSTMCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, bool bias = true);
    /// The same from tg::nn::default_rng().
    LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias = true);

    /// (h', c') for x (N, input_size) and the state (each (N, H); zeros when empty).
    LSTMState<T> forward(const Tensor<T>& x, const std::optional<LSTMState<T>>& state);
    /// h' from a zero state: a Module of one tensor, so an LSTMCell fits a Sequential.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// forward(x, state) (summary() shows h'): (h', c') as PyTorch's cell returns them, also
    /// from `cell(x)` (a zero state), so `auto [h, c] = cell(x);`. Called as a Module<T>
    /// (in a Sequential) it gives h' alone.
    LSTMState<T> operator()(const Tensor<T>& x,
                            const std::optional<LSTMState<T>>& state = std::nullopt) {
        LSTMState<T> out = forward(x, state);
        this->note_output(out.h);
        return out;
    }
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters of the configured shapes (clone() copies values in).
    void reset() override;

private:
    void build(Rng* rng);

    std::size_t input_size_, hidden_size_;
    bool bias_;
    std::vector<std::array<Tensor<T>, 4>> layers_;  ///< one: w_ih, w_hh, b_ih, b_hh
};

/// One GRU step: r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr), z likewise,
/// n = tanh(x W_inᵀ + b_in + r·(h W_hnᵀ + b_hn)), h' = (1 − z)·n + z·h.
template <class T = double>
class GRUCell : public Cloneable<GRUCell<T>, T> {
public:
    /// Weights U(−1/√H, 1/√H) from `rng`; no biases when `bias` is false.
    GRUCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, bool bias = true);
    /// The same from tg::nn::default_rng().
    GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias = true);

    /// h' for x (N, input_size) and h (N, H; zeros when omitted).
    Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& h);
    /// forward(x, zeros): a Module of one tensor, so a GRUCell fits a Sequential.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// forward(x, h); `cell(x)` starts from zeros.
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<T>& h = Tensor<T>()) {
        Tensor<T> out = forward(x, h);
        this->note_output(out);
        return out;
    }
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters of the configured shapes.
    void reset() override;

private:
    void build(Rng* rng);

    std::size_t input_size_, hidden_size_;
    bool bias_;
    std::vector<std::array<Tensor<T>, 4>> layers_;  ///< one: w_ih, w_hh, b_ih, b_hh
};

/// What LSTM and GRU return: every step's top-layer hidden state, and the final state.
template <class T, class State>
struct RecurrentOutput {
    Tensor<T> output;  ///< (N, L, H): the last layer's h at every step
    State state;       ///< the final state of every layer (num_layers, N, H) each
};

/// A multi-layer LSTM over sequences, batch-first: input (N, L, input_size).
template <class T = double>
class LSTM : public Cloneable<LSTM<T>, T> {
public:
    /// num_layers stacked layers; layer 0 takes input_size features, the others H.
    LSTM(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers = 1,
         bool bias = true);
    /// The same from tg::nn::default_rng().
    LSTM(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers = 1,
         bool bias = true);

    /// Runs the sequence from `state` (each (num_layers, N, H); zeros when empty).
    RecurrentOutput<T, LSTMState<T>> forward(const Tensor<T>& x,
                                             const std::optional<LSTMState<T>>& state);
    /// forward(x, zeros).output: a Module of one tensor, so an LSTM fits a Sequential.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// forward(x, state) (summary() shows the output sequence): the outputs and the final
    /// state, as PyTorch's `out, (h, c) = lstm(x)`; `lstm(x)` starts from zeros, so
    /// `auto [out, state] = lstm(x);`. Called as a Module<T> (in a Sequential) it gives
    /// the outputs alone.
    RecurrentOutput<T, LSTMState<T>> operator()(
        const Tensor<T>& x, const std::optional<LSTMState<T>>& state = std::nullopt) {
        RecurrentOutput<T, LSTMState<T>> out = forward(x, state);
        this->note_output(out.output);
        return out;
    }
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters of the configured shapes.
    void reset() override;

private:
    void build(Rng* rng);

    std::size_t input_size_, hidden_size_, num_layers_;
    bool bias_;
    std::vector<std::array<Tensor<T>, 4>> layers_;  ///< per layer: w_ih, w_hh, b_ih, b_hh
};

/// A multi-layer GRU over sequences, batch-first: input (N, L, input_size).
template <class T = double>
class GRU : public Cloneable<GRU<T>, T> {
public:
    /// num_layers stacked layers; layer 0 takes input_size features, the others H.
    GRU(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers = 1,
        bool bias = true);
    /// The same from tg::nn::default_rng().
    GRU(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers = 1,
        bool bias = true);

    /// Runs the sequence from h0 ((num_layers, N, H); zeros when undefined).
    RecurrentOutput<T, Tensor<T>> forward(const Tensor<T>& x, const Tensor<T>& h0);
    /// forward(x, h0) from zeros; `.output` only, so a GRU fits a Sequential.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// forward(x, h0) (summary() shows the output sequence): the outputs and the final
    /// state; `gru(x)` starts from zeros, so `auto [out, h] = gru(x);`. Called as a
    /// Module<T> (in a Sequential) it gives the outputs alone.
    RecurrentOutput<T, Tensor<T>> operator()(const Tensor<T>& x,
                                             const Tensor<T>& h0 = Tensor<T>()) {
        RecurrentOutput<T, Tensor<T>> out = forward(x, h0);
        this->note_output(out.output);
        return out;
    }
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers zero parameters of the configured shapes.
    void reset() override;

private:
    void build(Rng* rng);

    std::size_t input_size_, hidden_size_, num_layers_;
    bool bias_;
    std::vector<std::array<Tensor<T>, 4>> layers_;  ///< per layer: w_ih, w_hh, b_ih, b_hh
};

extern template class LSTMCell<float>;
extern template class LSTMCell<double>;
extern template class GRUCell<float>;
extern template class GRUCell<double>;
extern template class LSTM<float>;
extern template class LSTM<double>;
extern template class GRU<float>;
extern template class GRU<double>;

}  // namespace tg::nn
