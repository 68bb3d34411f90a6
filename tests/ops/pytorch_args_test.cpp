// Arguments PyTorch users pass to the ops (issue 24 item 5), value and gradient against
// PyTorch 1.13's numbers (tests/data/args_reference.txt, cases "ops.*", written by
// tests/data/make_args_reference.py), to 1e-12 in double: convolution padding="same" /
// "valid" and padding_mode. Second derivatives are the op table's (gradgradcheck).

#include "args_reference.hpp"
#include "op_test_util.hpp"

#include <map>
#include <string>

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
