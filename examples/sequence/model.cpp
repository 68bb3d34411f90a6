#include "model.hpp"

namespace sequence {

template <class T>
LstmRegressor<T>::LstmRegressor(std::size_t hidden_size, tg::nn::Rng& rng)
    : hidden_size_(hidden_size) {
    lstm_ = this->register_module(
        "lstm", tg::nn::ModuleHolder<tg::nn::LSTM<T>>(kFeatures, hidden_size, rng));
    head_ =
        this->register_module("head", tg::nn::ModuleHolder<tg::nn::Dense<T>>(hidden_size, 1, rng));
}

template <class T>
tg::Tensor<T> LstmRegressor<T>::forward(const tg::Tensor<T>& x) {
    auto [out, state] = lstm_(x);  // PyTorch: _, (h, _) = self.lstm(x)
    // state.h is (num_layers = 1, N, H): its one layer is h_L, (N, H).
    return head_(state.h.select(0, 0));
}

template class LstmRegressor<float>;
template class LstmRegressor<double>;

}  // namespace sequence
