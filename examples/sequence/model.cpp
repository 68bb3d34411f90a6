#include "model.hpp"

namespace sequence {

template <class T>
LstmRegressor<T>::LstmRegressor(std::size_t hidden_size, tg::nn::Rng& rng)
    : hidden_size_(hidden_size) {
    lstm_ = this->register_module("lstm",
                                  std::make_shared<tg::nn::LSTM<T>>(kFeatures, hidden_size, rng));
    head_ = this->register_module("head", std::make_shared<tg::nn::Dense<T>>(hidden_size, 1, rng));
}

template <class T>
tg::Tensor<T> LstmRegressor<T>::forward(const tg::Tensor<T>& x) {
    // The final state's h is (num_layers = 1, N, H): its one layer is h_L, (N, H).
    const tg::Tensor<T> h_last = tg::select((*lstm_)(x, std::nullopt).state.h, 0, 0);
    return (*head_)(h_last);
}

template class LstmRegressor<float>;
template class LstmRegressor<double>;

}  // namespace sequence
