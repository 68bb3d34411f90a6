// Arguments PyTorch users pass to the layers and losses (issue 24 item 5), against
// PyTorch 1.13's numbers (tests/data/args_reference.txt, written by
// tests/data/make_args_reference.py), to 1e-12 in double: Conv1d / Conv2d with
// padding="same" and padding_mode (on the ops' cases, weights copied in).

#include "args_reference.hpp"
#include "expect_message.hpp"

#include <tapegrad/nn/conv.hpp>

#include <string>

namespace tg::test {
namespace {

using Out = std::vector<Tensor<double>>;

/// The single case called `name`.
ReferenceCase case_named(const std::string& name) {
    for (const ReferenceCase& c : args_cases(name))
        if (c.words.at(0) == name) return c;
    throw std::runtime_error("args_reference.txt has no case " + name);
}

/// Checks `layer` against the op case `name`, whose weight (and bias) it takes: value,
/// and the gradients of sum(c · value) for the input and the layer's parameters.
template <class Layer>
void check_conv_layer(Layer layer, const std::string& name) {
    SCOPED_TRACE(name);
    const ReferenceCase c = case_named(name);
    Tensor<double>(layer.weight()).assign(c.at("weight"));  // a shallow copy: the layer's own
    std::vector<Tensor<double>> leaves{parameter<double>(c.at("x")), layer.weight()};
    std::vector<std::string> keys{"grad_x", "grad_weight"};
    if (c.has("bias")) {
        Tensor<double>(layer.bias()).assign(c.at("bias"));
        leaves.push_back(layer.bias());
        keys.push_back("grad_bias");
    }
    Tape tape;
    const Tensor<double> y = layer(leaves[0]);
    EXPECT_TRUE(matches_reference(y.value(), c.at("value"), 1e-12)) << "value";
    const Out g = tape.gradient(sum(y * Tensor<double>(c.at("cotangent"))), leaves);
    for (std::size_t i = 0; i < g.size(); ++i)
        EXPECT_TRUE(matches_reference(g[i].value(), c.at(keys[i]), 1e-12)) << keys[i];
}

TEST(PyTorchArgs, ConvLayersTakePaddingModeAndSame) {
    nn::Rng rng(1);
    for (const auto& [name, mode] : {std::pair{"reflect", PaddingMode::reflect},
                                     std::pair{"replicate", PaddingMode::replicate},
                                     std::pair{"circular", PaddingMode::circular}}) {
        nn::ConvOptions o;
        o.stride = {2, 1}, o.padding = {2, 1}, o.groups = 2, o.padding_mode = mode;
        check_conv_layer(nn::Conv2d<double>(4, 4, {3, 2}, rng, o),
                         std::string("ops.conv2d_") + name);
        nn::ConvOptions same;
        same.padding = "same", same.dilation = {3, 1}, same.bias = false, same.padding_mode = mode;
        check_conv_layer(nn::Conv2d<double>(2, 2, {2, 4}, rng, same),
                         std::string("ops.conv2d_same_") + name);
        nn::ConvOptions o1;
        o1.stride = 2, o1.padding = 2, o1.padding_mode = mode;
        check_conv_layer(nn::Conv1d<double>(2, 3, 3, rng, o1), std::string("ops.conv1d_") + name);
    }
    nn::ConvOptions same;
    same.padding = "same";
    check_conv_layer(nn::Conv1d<double>(2, 4, 4, rng, same), "ops.conv1d_same_even_kernel");
    nn::ConvOptions reflect;
    reflect.padding = "same", reflect.padding_mode = PaddingMode::reflect;
    EXPECT_EQ(nn::Conv2d<double>(2, 3, 4, rng, reflect).describe(),
              "Conv2d(2, 3, k=4, padding=same, padding_mode=reflect)");
}

TEST(PyTorchArgs, ConvLayersRefuseWhatPyTorchRefuses) {
    nn::ConvOptions strided;
    strided.padding = "same", strided.stride = 2;
    expect_message<ValueError>([&] { nn::Conv2d<double>(2, 3, 3, strided); },
                               {"Conv2d(2, 3, k=3, stride=2, padding=same): padding=\"same\" "
                                "needs stride 1 (as in PyTorch); give the padding as sizes"});
    nn::ConvOptions unknown;
    unknown.padding = std::string("full");
    expect_message<ValueError>([&] { nn::Conv1d<double>(2, 3, 3, unknown); },
                               {"padding must be sizes, \"same\" or \"valid\", got \"full\""});
    nn::ConvOptions reflect;
    reflect.padding_mode = PaddingMode::reflect;
    expect_message<ValueError>([&] { nn::ConvTranspose2d<double>(2, 3, 3, reflect); },
                               {"padding_mode=\"reflect\": a transposed convolution pads with "
                                "zeros only (as in PyTorch)"});
    nn::ConvOptions same;
    same.padding = "same";
    expect_message<ValueError>([&] { nn::ConvTranspose2d<double>(2, 3, 3, same); },
                               {"padding=\"same\" is not offered for a transposed convolution (nor "
                                "by PyTorch); give sizes"});
}

}  // namespace
}  // namespace tg::test
