#pragma once
// The sequence example's model, shared by the example and by
// benchmarks/sequence_step_benchmark.cpp: an LSTM reads the sequence, a Dense head turns
// its last hidden state into one number.
//
//     x (N, L, 2) -> LSTM(2, H), batch-first -> h_L (N, H) -> Dense(H, 1) -> (N, 1)
//
// Parameters are named as in the PyTorch twin (side_by_side.py):
//     lstm.weight_ih_l0 (4H, 2), lstm.weight_hh_l0 (4H, H), lstm.bias_ih_l0 (4H),
//     lstm.bias_hh_l0 (4H), head.weight (1, H), head.bias (1).

#include <tapegrad/tapegrad.hpp>

#include <cstddef>
#include <memory>

namespace sequence {

/// Features per step of the adding problem: the value and the marker.
constexpr std::size_t kFeatures = 2;
/// The example's default hidden size and sequence length (the step benchmark uses them).
constexpr std::size_t kDefaultHidden = 32;
constexpr std::size_t kDefaultLength = 50;

/// An LSTM (hidden size H) followed by a Dense head on its hidden state at the last step.
template <class T>
class LstmRegressor : public tg::nn::Module<T> {
public:
    /// LSTM weights U(−1/√H, 1/√H), the head's Xavier uniform with a zero bias, all drawn
    /// from `rng` in that order.
    LstmRegressor(std::size_t hidden_size, tg::nn::Rng& rng);

    /// x (N, L, kFeatures) -> predictions (N, 1).
    tg::Tensor<T> forward(const tg::Tensor<T>& x) override;

    /// H.
    std::size_t hidden_size() const { return hidden_size_; }

private:
    std::size_t hidden_size_;
    tg::nn::ModuleHolder<tg::nn::LSTM<T>> lstm_;
    tg::nn::ModuleHolder<tg::nn::Dense<T>> head_;
};

extern template class LstmRegressor<float>;
extern template class LstmRegressor<double>;

}  // namespace sequence
