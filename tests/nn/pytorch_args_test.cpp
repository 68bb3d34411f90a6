// Arguments PyTorch users pass to the layers and losses (issue 24 item 5), against
// PyTorch 1.13's numbers (tests/data/args_reference.txt, written by
// tests/data/make_args_reference.py), to 1e-12 in double: Conv1d / Conv2d with
// padding="same" and padding_mode (on the ops' cases, weights copied in); the pooling
// layers' ceil_mode, count_include_pad, divisor_override, indices and unpooling;
// cross_entropy with class-probability targets (label smoothing, weights, reductions);
// GELU(approximate="tanh").

#include "args_reference.hpp"
#include "expect_message.hpp"

#include <tapegrad/gradcheck.hpp>
#include <tapegrad/nn/activation.hpp>
#include <tapegrad/nn/conv.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/nn/pooling.hpp>
#include <tapegrad/ops/factory.hpp>
#include <tapegrad/ops/softmax.hpp>

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

/// Checks a layer without parameters against the op case `name`: f of the case's inputs.
void check_layer_case(const std::string& name, const ArgsFunction& f) {
    check_args_case(case_named(name), f, 1e-12);
}

TEST(PyTorchArgs, PoolingLayersTakePyTorchsArguments) {
    using In = const NamedInputs&;
    check_layer_case("ops.max_pool2d_ceil", [](In in) {
        nn::MaxPool2d<double> pool({3, 2}, 2, {1, 0}, 1, true, true);
        const auto [y, indices] = pool.forward_with_indices(in.at("x"));
        return Out{y, to_floating<double>(indices)};
    });
    check_layer_case("ops.max_pool1d_ceil", [](In in) {
        nn::MaxPool1d<double> pool(3, 2, 1, 1, false, true);
        return Out{pool(in.at("x")),
                   to_floating<double>(pool.forward_with_indices(in.at("x")).second)};
    });
    check_layer_case("ops.avg_pool2d_ceil_exclude_pad", [](In in) {
        return Out{nn::AvgPool2d<double>(3, 2, 1, true, false)(in.at("x"))};
    });
    check_layer_case("ops.avg_pool2d_divisor_override", [](In in) {
        return Out{nn::AvgPool2d<double>({3, 2}, 2, 1, true, true, 5)(in.at("x"))};
    });
    check_layer_case("ops.avg_pool1d_ceil",
                     [](In in) { return Out{nn::AvgPool1d<double>(3, 2, 1, true)(in.at("x"))}; });
    check_layer_case("ops.max_unpool2d_output_size", [](In in) {
        return Out{nn::MaxUnpool2d<double>(2)(in.at("x"), in.at("indices"), {5, 7})};
    });
    check_layer_case("ops.max_unpool1d", [](In in) {
        return Out{nn::MaxUnpool1d<double>(3, 3, 1)(in.at("x"), in.at("indices"), 10)};
    });
    EXPECT_EQ(nn::MaxPool2d<double>(2, {}, 0, 1, true, true).describe(),
              "MaxPool2d(2, return_indices=True, ceil_mode=True)");
    EXPECT_EQ(nn::AvgPool1d<double>(3, 2, 1, true).describe(), "AvgPool1d(3, ceil_mode=True)");
}

TEST(PyTorchArgs, MaxPoolWithReturnIndicesPointsToForwardWithIndices) {
    nn::MaxPool2d<double> pool(2, {}, 0, 1, /*return_indices=*/true);
    expect_message<ValueError>(
        [&] {
            pool(zeros<double>({1, 1, 4, 4}));
        },
        {"MaxPool2d(2, return_indices=True): forward(x) returns one "
         "tensor; call forward_with_indices(x) for the output and the "
         "indices (what PyTorch's return_indices=True layer returns)"});
}

TEST(PyTorchArgs, CrossEntropyTakesClassProbabilities) {
    using In = const NamedInputs&;
    const auto with = [](double smoothing, nn::Reduction reduction, const NamedInputs& in) {
        nn::CrossEntropyOptions<double> o;
        o.label_smoothing = smoothing;
        o.reduction = reduction;
        if (in.count("weight")) o.weight = in.at("weight");
        return Out{nn::cross_entropy(in.at("logits"), in.at("target"), o)};
    };
    std::map<std::string, ArgsFunction> f;
    f["nn.cross_entropy_probabilities"] = [with](In in) {
        return with(0, nn::Reduction::mean, in);
    };
    f["nn.cross_entropy_probabilities_smoothing_weight"] = [with](In in) {
        return with(0.2, nn::Reduction::mean, in);
    };
    f["nn.cross_entropy_probabilities_spatial_none"] = [with](In in) {
        return with(0.1, nn::Reduction::none, in);
    };
    f["nn.cross_entropy_probabilities_sum"] = [with](In in) {
        return with(0.3, nn::Reduction::sum, in);
    };
    f["nn.cross_entropy_probabilities_unbatched"] = [with](In in) {
        return with(0, nn::Reduction::mean, in);
    };
    check_args_cases("nn.cross_entropy", f, 1e-12);
}

TEST(PyTorchArgs, CrossEntropyProbabilitiesHaveSecondDerivatives) {
    nn::CrossEntropyOptions<double> o;
    o.label_smoothing = 0.2;
    o.weight = Tensor<double>(xt::xarray<double>{0.5, 1.0, 2.0});
    const auto loss = [o](const std::vector<Tensor<double>>& in) {
        return nn::cross_entropy(in[0], softmax(in[1], 1), o);
    };
    const std::vector<Tensor<double>> inputs{
        Tensor<double>(xt::xarray<double>{{0.3, -1.2, 0.8}, {1.5, 0.1, -0.4}}),
        Tensor<double>(xt::xarray<double>{{0.2, 0.9, -0.5}, {-1.0, 0.4, 0.7}})};
    EXPECT_TRUE(gradcheck(loss, inputs));
    EXPECT_TRUE(gradgradcheck(loss, inputs));
}

TEST(PyTorchArgs, CrossEntropyProbabilitiesRefuseIgnoreIndex) {
    nn::CrossEntropyOptions<double> o;
    o.ignore_index = 0;
    expect_message<ValueError>(
        [&] {
            nn::cross_entropy(zeros<double>({2, 3}), zeros<double>({2, 3}), o);
        },
        {"cross_entropy: ignore_index 0 with class-probability targets (the logits' shape); "
         "PyTorch refuses it too: leave ignore_index negative"});
}

TEST(PyTorchArgs, SoftplusLayerTakesBetaAndThreshold) {
    check_layer_case("ops.softplus_beta_threshold", [](const NamedInputs& in) {
        return Out{nn::Softplus<double>(2.0, 5.0)(in.at("x"))};
    });
    EXPECT_EQ(nn::Softplus<double>(2.0, 5.0).describe(), "Softplus(beta=2.0, threshold=5.0)");
    EXPECT_EQ(nn::Softplus<double>().describe(), "Softplus");
}

TEST(PyTorchArgs, GeluLayerTakesApproximate) {
    check_layer_case("ops.gelu_tanh", [](const NamedInputs& in) {
        return Out{nn::GELU<double>("tanh")(in.at("x"))};
    });
    EXPECT_EQ(nn::GELU<double>("tanh").describe(), "GELU(approximate='tanh')");
    EXPECT_EQ(nn::GELU<double>().describe(), "GELU");
    expect_message<ValueError>(
        [] { nn::GELU<double>("fast"); },
        {"GELU: approximate must be \"none\" or \"tanh\" (as in PyTorch), got \"fast\""});
}

}  // namespace
}  // namespace tg::test
