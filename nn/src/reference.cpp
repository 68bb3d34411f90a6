#include <tapegrad/check.hpp>
#include <tapegrad/nn/activation.hpp>
#include <tapegrad/nn/dense.hpp>
#include <tapegrad/nn/reference.hpp>

#include <xtensor/xbuilder.hpp>

namespace tg::nn {
namespace {

using reference::Activation;
using reference::Layer;

/// The activation a module stands for, or false when it is not an activation module.
template <class T>
bool activation_of(const Module<T>& m, Activation& act, T& slope) {
    if (dynamic_cast<const Sigmoid<T>*>(&m))
        act = Activation::sigmoid;
    else if (dynamic_cast<const Tanh<T>*>(&m))
        act = Activation::tanh;
    else if (dynamic_cast<const ReLU<T>*>(&m))
        act = Activation::relu;
    else if (dynamic_cast<const Softplus<T>*>(&m))
        act = Activation::softplus;
    else if (const auto* leaky = dynamic_cast<const LeakyReLU<T>*>(&m)) {
        act = Activation::leaky_relu;
        slope = leaky->slope();
    } else
        return false;
    return true;
}

/// The Dense modules of `net`, in order.
template <class T>
std::vector<Dense<T>*> dense_modules(const Sequential<T>& net) {
    std::vector<Dense<T>*> out;
    for (std::size_t i = 0; i < net.size(); ++i)
        if (auto* d = dynamic_cast<Dense<T>*>(net.module_ptr(i).get())) out.push_back(d);
    return out;
}

}  // namespace

template <class T>
reference::Network<T> to_reference(const Sequential<T>& net) {
    std::vector<Layer<T>> layers;
    bool activation_set = false;
    for (std::size_t i = 0; i < net.size(); ++i) {
        const Module<T>& m = net[i];
        Activation act = Activation::identity;
        T slope = T(0.01);
        if (const auto* dense = dynamic_cast<const Dense<T>*>(&m)) {
            // A layer without a bias is the reference's layer with b = 0.
            layers.push_back({Array<T>(dense->weight().value()),
                              dense->has_bias() ? Array<T>(dense->bias().value())
                                                : Array<T>(xt::zeros<T>({dense->out_features()})),
                              Activation::identity, T(0.01)});
            activation_set = false;
        } else if (dynamic_cast<const Identity<T>*>(&m)) {
            continue;
        } else if (activation_of(m, act, slope) && !layers.empty() && !activation_set) {
            layers.back().activation = act;
            layers.back().slope = slope;
            activation_set = true;
        } else {
            throw ValueError("nn::to_reference: module " + std::to_string(i) + " (" + m.describe() +
                             ") does not fit; the reference takes Dense layers, each followed by "
                             "at most one of Sigmoid, Tanh, ReLU, LeakyReLU, Softplus, Identity");
        }
    }
    return reference::Network<T>(std::move(layers));
}

template <class T>
Sequential<T> to_sequential(const reference::Network<T>& network) {
    Sequential<T> net;
    for (std::size_t i = 0; i < network.depth(); ++i) {
        const Layer<T>& l = network.layer(i);
        net.add(Dense<T>(l.weight, l.bias));
        switch (l.activation) {
            case Activation::identity: break;
            case Activation::sigmoid: net.add(Sigmoid<T>()); break;
            case Activation::tanh: net.add(Tanh<T>()); break;
            case Activation::relu: net.add(ReLU<T>()); break;
            case Activation::leaky_relu: net.add(LeakyReLU<T>(l.slope)); break;
            case Activation::softplus: net.add(Softplus<T>()); break;
        }
    }
    return net;
}

template <class T>
void copy_weights(const reference::Network<T>& network, Sequential<T>& net) {
    const std::vector<Dense<T>*> dense = dense_modules(net);
    bool fits = dense.size() == network.depth();
    for (std::size_t i = 0; fits && i < dense.size(); ++i)
        fits = dense[i]->has_bias() &&
               dense[i]->weight().shape() == Shape(network.layer(i).weight.shape().begin(),
                                                   network.layer(i).weight.shape().end());
    TG_CHECK(fits, ShapeError, "nn::copy_weights: the Sequential (", net.describe(),
             ") does not have this network's ", network.depth(),
             " dense layers of the same shapes, each with a bias");
    for (std::size_t i = 0; i < dense.size(); ++i) {
        Tensor<T> weight = dense[i]->weight();
        Tensor<T> bias = dense[i]->bias();
        weight.assign(network.layer(i).weight);
        bias.assign(network.layer(i).bias);
    }
}

#define TG_NN_REFERENCE_INSTANTIATE(T)                                     \
    template reference::Network<T> to_reference<T>(const Sequential<T>&);  \
    template Sequential<T> to_sequential<T>(const reference::Network<T>&); \
    template void copy_weights<T>(const reference::Network<T>&, Sequential<T>&);
TG_NN_REFERENCE_INSTANTIATE(float)
TG_NN_REFERENCE_INSTANTIATE(double)

}  // namespace tg::nn
