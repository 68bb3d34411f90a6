// Arguments PyTorch users pass to the ops (issue 24 item 5), value and gradient against
// PyTorch 1.13's numbers (tests/data/args_reference.txt, cases "ops.*", written by
// tests/data/make_args_reference.py), to 1e-12 in double: convolution padding="same" /
// "valid" and padding_mode; pooling ceil_mode, count_include_pad, divisor_override, the
// indices of max_pool (PyTorch's return_indices) and max_unpool; norm / vector_norm over
// axes with keepdim; gelu(approximate="tanh"), one fused op, to second order. Second
// derivatives are otherwise the op table's (gradgradcheck).

#include "args_reference.hpp"
#include "op_test_util.hpp"

#include <limits>
#include <map>
#include <string>
#include <xtensor/xmanipulation.hpp>

namespace tg::test {
namespace {

using Out = std::vector<Tensor<double>>;

/// The bias of a case, or none.
Tensor<double> bias_of(const NamedInputs& in) {
    const auto it = in.find("bias");
    return it == in.end() ? Tensor<double>() : it->second;
}

std::map<std::string, ArgsFunction> conv_functions() {
    std::map<std::string, ArgsFunction> f;
    f["ops.conv2d_same_even_kernel"] = [](const NamedInputs& in) {
        return Out{conv2d(in.at("x"), in.at("weight"), bias_of(in), 1, "same", {2, 1})};
    };
    f["ops.conv2d_valid"] = [](const NamedInputs& in) {
        return Out{conv2d(in.at("x"), in.at("weight"), {}, {2, 1}, "valid", 1, 2)};
    };
    f["ops.conv1d_same_even_kernel"] = [](const NamedInputs& in) {
        return Out{conv1d(in.at("x"), in.at("weight"), bias_of(in), 1, "same")};
    };
    f["ops.conv1d_valid"] = [](const NamedInputs& in) {
        return Out{conv1d(in.at("x"), in.at("weight"), {}, 2, "valid")};
    };
    for (const auto& [name, mode] : {std::pair{"reflect", PaddingMode::reflect},
                                     std::pair{"replicate", PaddingMode::replicate},
                                     std::pair{"circular", PaddingMode::circular}}) {
        const PaddingMode m = mode;
        f[std::string("ops.conv2d_") + name] = [m](const NamedInputs& in) {
            return Out{conv2d(in.at("x"), in.at("weight"), bias_of(in), {2, 1}, {2, 1}, 1, 2, m)};
        };
        f[std::string("ops.conv2d_same_") + name] = [m](const NamedInputs& in) {
            return Out{conv2d(in.at("x"), in.at("weight"), {}, 1, "same", {3, 1}, 1, m)};
        };
        f[std::string("ops.conv1d_") + name] = [m](const NamedInputs& in) {
            return Out{conv1d(in.at("x"), in.at("weight"), bias_of(in), 2, 2, 1, 1, m)};
        };
        f[std::string("ops.conv1d_same_") + name] = [m](const NamedInputs& in) {
            return Out{conv1d(in.at("x"), in.at("weight"), {}, 1, "same", 1, 1, m)};
        };
    }
    return f;
}

TEST(PyTorchArgs, ConvolutionPaddingMatchesPyTorch) {
    std::map<std::string, ArgsFunction> f = conv_functions();
    check_args_cases("ops.conv", f, 1e-12);
}

std::map<std::string, ArgsFunction> pool_functions() {
    std::map<std::string, ArgsFunction> f;
    const auto pair = [](std::pair<Tensor<double>, Tensor<std::int64_t>> p) {
        return Out{p.first, to_floating<double>(p.second)};
    };
    f["ops.max_pool2d_ceil"] = [pair](const NamedInputs& in) {
        return pair(max_pool2d_with_indices(in.at("x"), {3, 2}, 2, {1, 0}, 1, true));
    };
    f["ops.max_pool2d_ceil_dilation"] = [pair](const NamedInputs& in) {
        return pair(max_pool2d_with_indices(in.at("x"), 2, 2, 0, 2, true));
    };
    f["ops.max_pool1d_ceil"] = [pair](const NamedInputs& in) {
        return pair(max_pool1d_with_indices(in.at("x"), 3, 2, 1, 1, true));
    };
    f["ops.avg_pool2d_ceil"] = [](const NamedInputs& in) {
        return Out{avg_pool2d(in.at("x"), 3, 2, 1, true)};
    };
    f["ops.avg_pool2d_ceil_exclude_pad"] = [](const NamedInputs& in) {
        return Out{avg_pool2d(in.at("x"), 3, 2, 1, true, false)};
    };
    f["ops.avg_pool2d_divisor_override"] = [](const NamedInputs& in) {
        return Out{avg_pool2d(in.at("x"), {3, 2}, 2, 1, true, true, 5)};
    };
    f["ops.avg_pool1d_ceil"] = [](const NamedInputs& in) {
        return Out{avg_pool1d(in.at("x"), 3, 2, 1, true)};
    };
    f["ops.avg_pool1d_ceil_exclude_pad"] = [](const NamedInputs& in) {
        return Out{avg_pool1d(in.at("x"), 3, 2, 1, true, false)};
    };
    f["ops.max_unpool2d"] = [](const NamedInputs& in) {
        return Out{max_unpool2d(in.at("x"), in.at("indices"), 2)};
    };
    f["ops.max_unpool2d_output_size"] = [](const NamedInputs& in) {
        return Out{max_unpool2d(in.at("x"), in.at("indices"), 2, {}, 0, {5, 7})};
    };
    f["ops.max_unpool1d"] = [](const NamedInputs& in) {
        return Out{max_unpool1d(in.at("x"), in.at("indices"), 3, 3, 1, 10)};
    };
    return f;
}

TEST(PyTorchArgs, PoolingArgumentsMatchPyTorch) {
    std::map<std::string, ArgsFunction> f = pool_functions();
    check_args_cases("ops.max_pool", f, 1e-12);
    check_args_cases("ops.avg_pool", f, 1e-12);
    check_args_cases("ops.max_unpool", f, 1e-12);
}

TEST(PyTorchArgs, MaxPoolIndicesUnpoolToTheGradientOfMaxPool) {
    // The indices are where max_pool's gradient goes: unpooling a cotangent with them is
    // max_pool's vector-Jacobian product, also where windows overlap and an entry is the
    // maximum of two (tapegrad adds the two, as the gradient does; docs/design.md).
    const Tensor<double> x = parameter<double>(
        xt::xarray<double>{{{{0.3, 0.9, 0.1, 0.5, 0.2}, {0.4, 0.0, 0.8, 0.6, 0.7}}}});
    for (const Size2 stride : {Size2(1, 1), Size2(1, 2)}) {
        Tape tape;
        const auto [y, indices] = max_pool2d_with_indices(x, {2, 2}, stride, 0, 1, true);
        const Tensor<double> c = full<double>(y.shape(), 1.0) + y.detach();
        const Tensor<double> vjp = tape.gradient(sum(y * c), {x})[0];
        EXPECT_TRUE(all_close(max_unpool2d(c, indices, 2, stride, 0, {2, 5}), vjp.value(), 0, 0));
        // The float indices of before give the same.
        EXPECT_TRUE(all_close(max_unpool2d(c, to_floating<double>(indices), 2, stride, 0, {2, 5}),
                              vjp.value(), 0, 0));
        EXPECT_FALSE(indices.requires_grad());
    }
}

TEST(PyTorchArgs, PoolingErrorsNameTheArgument) {
    const Tensor<double> x = zeros<double>({1, 1, 4, 4}, true);
    expect_error<ValueError>(
        [&] { avg_pool2d(x, 2, {}, 0, false, true, 0); },
        "avg_pool2d: divisor_override must not be 0; pass std::nullopt for none");
    const Tensor<double> y = zeros<double>({1, 1, 2, 2}, true);
    expect_error<ValueError>(
        [&] {
            max_unpool2d(y, zeros<double>({1, 1, 2, 2}), 2, {}, 0, {6, 4});
        },
        "max_unpool2d: output_size (6, 4) must lie within a stride of the "
        "default (4, 4) (exclusive), as in PyTorch");
    expect_error<ValueError>(
        [&] {
            max_unpool2d(y, full<double>({1, 1, 2, 2}, 16.0), 2);
        },
        "max_unpool2d: index 16 is not a position in an output plane of 16 entries; pass the "
        "indices max_pool gave");
    expect_error<ShapeError>(
        [&] {
            max_unpool2d(zeros<double>({1, 1, 1, 1}, true), zeros<double>({1, 1, 1, 1}), 2, {}, 1);
        },
        "max_unpool2d: input of shape (1, 1, 1, 1) gives an empty output with kernel (2, 2), "
        "stride (2, 2) and padding (1, 1)");
    expect_error<ShapeError>(
        [&] {
            max_unpool1d(zeros<double>({1, 2, 3}, true), zeros<double>({1, 2, 2}), 2);
        },
        "max_unpool1d: indices of shape (1, 2, 2) for an input of shape "
        "(1, 2, 3); pass the indices max_pool gave with it");
}

TEST(PyTorchArgs, NormsOverAxesMatchPyTorch) {
    using In = const NamedInputs&;
    const double inf = std::numeric_limits<double>::infinity();
    std::map<std::string, ArgsFunction> f;
    f["ops.vector_norm_2_axes_keepdim"] = [](In in) {
        return Out{vector_norm(in.at("x"), 2, {0, 2}, true)};
    };
    f["ops.vector_norm_1_axis"] = [](In in) { return Out{vector_norm(in.at("x"), 1, {1})}; };
    f["ops.vector_norm_inf_axes"] = [inf](In in) {
        return Out{vector_norm(in.at("x"), inf, {-1, 0})};
    };
    f["ops.vector_norm_inf_ties_keepdim"] = [inf](In in) {
        return Out{vector_norm(in.at("x"), inf, {1}, true)};
    };
    f["ops.vector_norm_minus_inf_ties"] = [inf](In in) {
        return Out{vector_norm(in.at("x"), -inf, {0})};
    };
    f["ops.vector_norm_3_all"] = [](In in) { return Out{vector_norm(in.at("x"), 3)}; };
    f["ops.vector_norm_half_axis"] = [](In in) { return Out{vector_norm(in.at("x"), 0.5, {-1})}; };
    f["ops.vector_norm_0_axis"] = [](In in) { return Out{vector_norm(in.at("x"), 0, {1})}; };
    f["ops.vector_norm_2_zero_row"] = [](In in) { return Out{vector_norm(in.at("x"), 2, {1})}; };
    f["ops.vector_norm_3_zero_row"] = [](In in) { return Out{vector_norm(in.at("x"), 3, {-1})}; };
    f["ops.vector_norm_1_5_zero_row"] = [](In in) {
        return Out{vector_norm(in.at("x"), 1.5, {1}, true)};
    };
    f["ops.vector_norm_half_zero_entry"] = [](In in) {
        return Out{vector_norm(in.at("x"), 0.5, {1})};
    };
    f["ops.norm_2_axes_keepdim"] = [](In in) { return Out{norm(in.at("x"), 2, {1, 2}, true)}; };
    f["ops.norm_1_axis"] = [](In in) { return Out{norm(in.at("x"), 1, {0})}; };
    check_args_cases("ops.vector_norm", f, 1e-12);
    check_args_cases("ops.norm", f, 1e-12);
}

TEST(PyTorchArgs, GeluTanhMatchesPyTorch) {
    std::map<std::string, ArgsFunction> f;
    f["ops.gelu_tanh"] = [](const NamedInputs& in) { return Out{gelu(in.at("x"), "tanh")}; };
    f["ops.gelu_tanh_large"] = f["ops.gelu_tanh"];
    check_args_cases("ops.gelu", f, 1e-12);
    // Second order, through the recorded backward.
    const std::vector<ReferenceCase> second = args_cases("ops.second_order.gelu_tanh");
    ASSERT_EQ(second.size(), 1u);
    const ReferenceCase& c = second[0];
    const Tensor<double> x = parameter<double>(c.at("x"));
    const Tensor<double> c1(c.at("cotangent"));
    const Tensor<double> c2(xt::eval(xt::flip(c.at("cotangent"), 0)));
    Tape tape;
    BackwardOptions create;
    create.create_graph = true;
    const Tensor<double> g1 = tape.gradient(sum(gelu(x, "tanh") * c1), {x}, create)[0];
    EXPECT_TRUE(matches_reference(g1.value(), c.at("value"), 1e-12));
    const Tensor<double> g2 = tape.gradient(sum(g1 * c2), {x})[0];
    EXPECT_TRUE(matches_reference(g2.value(), c.at("grad2_x"), 1e-12));
}

TEST(PyTorchArgs, SoftplusTakesBetaAndThreshold) {
    // x itself where βx > threshold (a step at x = 2.5 for β = 2, threshold 5); PyTorch's
    // default threshold 20 returns x exactly at 20.5, 25 and 40.
    std::map<std::string, ArgsFunction> f;
    f["ops.softplus_beta_threshold"] = [](const NamedInputs& in) {
        return Out{softplus(in.at("x"), 2.0, 5.0)};
    };
    f["ops.softplus_default_large"] = [](const NamedInputs& in) {
        return Out{softplus(in.at("x"))};
    };
    check_args_cases("ops.softplus", f, 1e-12);
}

TEST(PyTorchArgs, GeluTanhIsOneTapeEntry) {
    const Tensor<double> x = parameter<double>(Array<double>{-1.0, 0.5, 2.0});
    Tape tape;
    const Tensor<double> y = gelu(x, "tanh");  // held: the tape keeps what is reachable
    EXPECT_EQ(tape.size(), 1u);
    expect_error<ValueError>(
        [&] { gelu(x, "sigmoid"); },
        "gelu: approximate must be \"none\" or \"tanh\" (as in PyTorch), got \"sigmoid\"");
}

TEST(PyTorchArgs, ConvolutionPaddingErrorsNameTheArgument) {
    const Tensor<double> x = zeros<double>({1, 2, 4, 5}, true),
                         w = zeros<double>({3, 2, 2, 2}, true);
    expect_error<ValueError>([&] { conv2d(x, w, {}, 2, "same"); },
                             "conv2d: padding=\"same\" needs stride 1 (as in PyTorch), got "
                             "stride (2, 2); give the padding as sizes");
    expect_error<ValueError>([&] { conv2d(x, w, {}, 1, "full"); },
                             "conv2d: padding must be sizes, \"same\" or \"valid\", got \"full\"");
    expect_error<ValueError>(
        [&] {
            conv1d(zeros<double>({1, 2, 3}, true), zeros<double>({3, 2, 2}, true), {}, 1, 3, 1, 1,
                   PaddingMode::reflect);
        },
        "conv1d: padding_mode=\"reflect\" pads (3, 3) on an input axis of size 3 (input shape "
        "(1, 2, 3)); reflect needs padding < the size, as in PyTorch");
    expect_error<ValueError>(
        [&] {
            conv2d(x, w, {}, 1, {0, 6}, 1, 1, PaddingMode::circular);
        },
        "conv2d: padding_mode=\"circular\" pads (6, 6) on an input axis of size 5 (input shape "
        "(1, 2, 4, 5)); circular needs padding <= the size, as in PyTorch");
}

}  // namespace
}  // namespace tg::test
