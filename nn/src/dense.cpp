#include <tapegrad/check.hpp>
#include <tapegrad/nn/dense.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/ops/matmul.hpp>

#include <xtensor/xbuilder.hpp>

#include <cmath>

namespace tg::nn {

template <class T>
Dense<T>::Dense(std::size_t in_features, std::size_t out_features)
    : Dense(in_features, out_features, default_rng()) {}

template <class T>
Dense<T>::Dense(std::size_t in_features, std::size_t out_features, Rng& rng, Init weight_init,
                bool bias)
    : in_features_(in_features), out_features_(out_features), has_bias_(bias) {
    TG_CHECK(in_features > 0 && out_features > 0, ValueError, "Dense(", in_features, ", ",
             out_features, "): a layer needs at least one input and one output feature");
    Array<T> w = initialize<T>(weight_init, {out_features, in_features}, rng);
    // torch.nn.Linear draws its bias from U(−1/√in, 1/√in) after the weight; Keras's rule
    // (and the blog workload's) is a zero bias.
    const double b = 1.0 / std::sqrt(static_cast<double>(in_features));
    register_weights(std::move(w), !bias ? Array<T>()
                                   : weight_init == Init::pytorch_default
                                       ? uniform<T>({out_features}, -b, b, rng)
                                       : Array<T>(xt::zeros<T>({out_features})));
}

template <class T>
Dense<T>::Dense(const Array<T>& weight, const Array<T>& bias) {
    TG_CHECK(weight.dimension() == 2 && bias.dimension() == 1 &&
                 bias.shape()[0] == weight.shape()[0] && weight.size() > 0,
             ShapeError, "Dense(weight, bias): got weight ", weight.shape(), " and bias ",
             bias.shape(),
             "; a layer with `in` inputs and `out` outputs needs weight (out, in) and bias (out), "
             "both non-empty");
    out_features_ = weight.shape()[0];
    in_features_ = weight.shape()[1];
    register_weights(weight, bias);
}

template <class T>
Dense<T>::Dense(const Array<T>& weight) : has_bias_(false) {
    TG_CHECK(weight.dimension() == 2 && weight.size() > 0, ShapeError, "Dense(weight): got weight ",
             weight.shape(),
             "; a layer with `in` inputs and `out` outputs needs a non-empty weight (out, in)");
    out_features_ = weight.shape()[0];
    in_features_ = weight.shape()[1];
    register_weights(weight, Array<T>());
}

template <class T>
void Dense<T>::register_weights(Array<T> weight, Array<T> bias) {
    weight_ = this->register_parameter("weight", Tensor<T>(std::move(weight), true));
    if (has_bias_) bias_ = this->register_parameter("bias", Tensor<T>(std::move(bias), true));
}

template <class T>
void Dense<T>::reset() {
    register_weights(Array<T>(xt::zeros<T>({out_features_, in_features_})),
                     has_bias_ ? Array<T>(xt::zeros<T>({out_features_})) : Array<T>());
}

template <class T>
Tensor<T> Dense<T>::forward(const Tensor<T>& x) {
    const auto& s = x.value().shape();
    TG_CHECK(!s.empty() && s.back() == in_features_, ShapeError, describe(),
             " expects input (..., ", in_features_, "); got ", s);
    return linear(x, weight_, bias_);  // bias_ is undefined without a bias
}

template <class T>
std::string Dense<T>::describe() const {
    return "Dense(in=" + std::to_string(in_features_) + ", out=" + std::to_string(out_features_) +
           (has_bias_ ? ")" : ", bias=" + repr(false) + ")");
}

template <class T>
Linear<T>::Linear(std::size_t in_features, std::size_t out_features, bool bias)
    : Linear(in_features, out_features, default_rng(), bias) {}

template <class T>
Linear<T>::Linear(std::size_t in_features, std::size_t out_features, Rng& rng, bool bias)
    : Dense<T>(in_features, out_features, rng, Init::pytorch_default, bias) {}

template <class T>
std::string Linear<T>::describe() const {
    return "Linear(in_features=" + std::to_string(this->in_features()) +
           ", out_features=" + std::to_string(this->out_features()) +
           ", bias=" + repr(this->has_bias()) + ")";
}

template <class T>
std::shared_ptr<Module<T>> Linear<T>::clone() const {
    // Cloneable<Dense>::clone would copy a Dense; the same steps for a Linear.
    auto copy = std::make_shared<Linear>(*this);
    copy->clear_registrations();
    copy->reset();
    copy->copy_state_from(*this);
    return copy;
}

template class Dense<float>;
template class Dense<double>;
template class Linear<float>;
template class Linear<double>;

}  // namespace tg::nn
