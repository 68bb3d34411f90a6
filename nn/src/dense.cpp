#include <tapegrad/nn/dense.hpp>
#include <tapegrad/ops/matmul.hpp>

#include <xtensor/xbuilder.hpp>

namespace tg::nn {

template <class T>
Dense<T>::Dense(std::size_t in_features, std::size_t out_features)
    : Dense(in_features, out_features, default_rng()) {}

template <class T>
Dense<T>::Dense(std::size_t in_features, std::size_t out_features, Rng& rng, Init weight_init)
    : in_features_(in_features), out_features_(out_features) {
    if (in_features == 0 || out_features == 0)
        throw ValueError("Dense(" + std::to_string(in_features) + ", " +
                         std::to_string(out_features) +
                         "): a layer needs at least one input and one output feature");
    register_weights(initialize<T>(weight_init, {out_features, in_features}, rng),
                     Array<T>(xt::zeros<T>({out_features})));
}

template <class T>
Dense<T>::Dense(const Array<T>& weight, const Array<T>& bias) {
    if (weight.dimension() != 2 || bias.dimension() != 1 || bias.shape()[0] != weight.shape()[0] ||
        weight.size() == 0)
        throw ShapeError("Dense(weight, bias): got weight " + shape_str(weight.shape()) +
                         " and bias " + shape_str(bias.shape()) +
                         "; a layer with `in` inputs and `out` outputs needs weight (out, in) and "
                         "bias (out), both non-empty");
    out_features_ = weight.shape()[0];
    in_features_ = weight.shape()[1];
    register_weights(weight, bias);
}

template <class T>
void Dense<T>::register_weights(Array<T> weight, Array<T> bias) {
    weight_ = this->register_parameter("weight", Tensor<T>(std::move(weight), true));
    bias_ = this->register_parameter("bias", Tensor<T>(std::move(bias), true));
}

template <class T>
void Dense<T>::reset() {
    register_weights(Array<T>(xt::zeros<T>({out_features_, in_features_})),
                     Array<T>(xt::zeros<T>({out_features_})));
}

template <class T>
Tensor<T> Dense<T>::forward(const Tensor<T>& x) {
    return linear(x, weight_, bias_);
}

template <class T>
std::string Dense<T>::describe() const {
    return "Dense(in=" + std::to_string(in_features_) + ", out=" + std::to_string(out_features_) +
           ")";
}

template class Dense<float>;
template class Dense<double>;

}  // namespace tg::nn
