#include "model.hpp"

namespace digits {

template <class T>
tg::nn::Sequential<T> make_model(tg::nn::Rng& rng, double dropout, tg::nn::Rng* dropout_rng) {
    namespace nn = tg::nn;
    nn::ConvOptions same;  // padding 1 keeps a 3x3 convolution's output the input's size
    same.padding = 1;
    return nn::Sequential<T>{nn::Conv2d<T>(1, 16, 3, rng, same),
                             nn::ReLU<T>(),
                             nn::MaxPool2d<T>(2),
                             nn::Conv2d<T>(16, 32, 3, rng, same),
                             nn::ReLU<T>(),
                             nn::MaxPool2d<T>(2),
                             nn::Flatten<T>(),
                             nn::Dropout<T>(dropout, dropout_rng),
                             nn::Dense<T>(128, 10, rng)};
}

template tg::nn::Sequential<float> make_model<float>(tg::nn::Rng&, double, tg::nn::Rng*);
template tg::nn::Sequential<double> make_model<double>(tg::nn::Rng&, double, tg::nn::Rng*);

}  // namespace digits
