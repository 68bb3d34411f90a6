// What a NaN input gives, value and gradient, against PyTorch 1.13's numbers
// (tests/data/nan_reference.txt, written by tests/data/make_nan_reference.py): the
// step-function ops (relu, leaky_relu, elu, clamp, abs, maximum, minimum, max, min,
// max_pool) and the smooth activations. A NaN must stay NaN in the value, as in PyTorch;
// the gradients are PyTorch's, from the fused backward and from the recorded one
// (create_graph), and second derivatives where PyTorch has them. sign is the one op whose
// NaN differs from PyTorch on purpose (docs/design.md, "Conventions").

#include "op_test_util.hpp"
#include "reference_data.hpp"

#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>

namespace tg::test {
namespace {

using Inputs = std::vector<Tensor<double>>;

/// The op of a case, from its words (`case OP [key=value ...]`), in float or double.
template <class T>
std::function<Tensor<T>(const std::vector<Tensor<T>>&)> op_of(const ReferenceCase& c) {
    using Inputs = std::vector<Tensor<T>>;
    std::map<std::string, double> o;
    for (std::size_t i = 1; i < c.words.size(); ++i) {
        const std::string& w = c.words[i];
        const std::size_t eq = w.find('=');
        o[w.substr(0, eq)] = std::strtod(w.substr(eq + 1).c_str(), nullptr);
    }
    const std::string& name = c.words.at(0);
    if (name == "relu") return [](const Inputs& in) { return relu(in[0]); };
    if (name == "leaky_relu")
        return [o](const Inputs& in) { return leaky_relu(in[0], o.at("slope")); };
    if (name == "elu") return [o](const Inputs& in) { return elu(in[0], o.at("alpha")); };
    if (name == "clamp")
        return [o](const Inputs& in) { return clamp(in[0], o.at("lo"), o.at("hi")); };
    if (name == "abs") return [](const Inputs& in) { return abs(in[0]); };
    if (name == "softplus") return [](const Inputs& in) { return softplus(in[0]); };
    if (name == "gelu") return [](const Inputs& in) { return gelu(in[0]); };
    if (name == "silu") return [](const Inputs& in) { return silu(in[0]); };
    if (name == "sigmoid") return [](const Inputs& in) { return sigmoid(in[0]); };
    if (name == "tanh") return [](const Inputs& in) { return tanh(in[0]); };
    if (name == "softsign") return [](const Inputs& in) { return softsign(in[0]); };
    if (name == "maximum") return [](const Inputs& in) { return maximum(in[0], in[1]); };
    if (name == "minimum") return [](const Inputs& in) { return minimum(in[0], in[1]); };
    const long axis = static_cast<long>(o.count("axis") ? o.at("axis") : 0);
    if (name == "max") return [axis](const Inputs& in) { return max(in[0], axis); };
    if (name == "min") return [axis](const Inputs& in) { return min(in[0], axis); };
    if (name == "max_pool1d")
        return [o](const Inputs& in) {
            return max_pool1d(in[0], static_cast<std::size_t>(o.at("kernel")),
                              static_cast<std::size_t>(o.at("stride")),
                              static_cast<std::size_t>(o.at("padding")));
        };
    if (name == "max_pool2d")
        return [o](const Inputs& in) {
            return max_pool2d(in[0], Size2(static_cast<std::size_t>(o.at("kernel"))),
                              Size2(static_cast<std::size_t>(o.at("stride"))));
        };
    throw std::runtime_error("nan_reference.txt: unknown op " + name);
}

const std::vector<ReferenceCase>& cases() {
    static const std::vector<ReferenceCase> all =
        read_reference(std::string(TAPEGRAD_TEST_DATA_DIR) + "/nan_reference.txt");
    return all;
}

TEST(NanPropagation, ReferenceFileHoldsEveryOp) {
    std::set<std::string> ops;
    for (const ReferenceCase& c : cases()) ops.insert(c.words.at(0));
    EXPECT_EQ(ops, (std::set<std::string>{"relu", "leaky_relu", "elu", "clamp", "abs", "softplus",
                                          "gelu", "silu", "sigmoid", "tanh", "softsign", "maximum",
                                          "minimum", "max", "min", "max_pool1d", "max_pool2d"}));
}

TEST(NanPropagation, ValuesAndGradientsMatchPyTorch) {
    for (const ReferenceCase& c : cases()) {
        std::string label;
        for (const std::string& w : c.words) label += w + " ";
        SCOPED_TRACE(label);
        const auto op = op_of<double>(c);
        const bool binary = c.has("a");
        const std::vector<std::string> names =
            binary ? std::vector<std::string>{"a", "b"} : std::vector<std::string>{"x"};
        Inputs in;
        for (const std::string& n : names) in.push_back(parameter<double>(c.at(n)));
        const Tensor<double> cot(c.at("cotangent"));
        for (bool create_graph : {false, true}) {
            SCOPED_TRACE(create_graph ? "recorded backward" : "fused backward");
            Tape tape;
            const Tensor<double> y = op(in);
            EXPECT_TRUE(matches_reference(y.value(), c.at("value"), 1e-15)) << "value";
            BackwardOptions options;
            options.create_graph = create_graph;
            const Inputs g = tape.gradient(sum(y * cot), in, options);
            for (std::size_t i = 0; i < names.size(); ++i)
                EXPECT_TRUE(matches_reference(g[i].value(), c.at("grad_" + names[i]), 1e-15))
                    << "grad_" << names[i];
            if (create_graph && c.has("grad2_x")) {
                // A gradient made of constants only (relu's g · [x > 0]) was not recorded:
                // its derivative is 0.
                const Tensor<double> g2 =
                    g[0].requires_grad()
                        ? tape.gradient(sum(g[0] * Tensor<double>(c.at("cotangent2"))), {in[0]})[0]
                        : zeros_like(in[0]);
                EXPECT_TRUE(matches_reference(g2.value(), c.at("grad2_x"), 1e-12)) << "grad2_x";
            }
        }
    }
}

TEST(NanPropagation, FloatValuesKeepTheNaNs) {
    // The float instantiations, whose loops and vectorized forms are compiled separately.
    for (const ReferenceCase& c : cases()) {
        SCOPED_TRACE(c.words.at(0));
        std::vector<Tensor<float>> in;
        for (const char* n : {"x", "a", "b"})
            if (c.has(n)) in.push_back(Tensor<float>(xt::cast<float>(c.at(n))));
        const Array<double> got = xt::cast<double>(op_of<float>(c)(in).value());
        EXPECT_TRUE(matches_reference(got, c.at("value"), 1e-5));
    }
}

TEST(NanPropagation, SignKeepsNaNWherePyTorchGivesZero) {
    // torch.sign(nan) is 0 (pytorch/pytorch#41245, open since 2020); tapegrad keeps
    // numpy's NaN, so that a NaN is not silently turned into a finite number.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const Tensor<double> x = parameter<double>(xt::xarray<double>{nan, -2.0, 0.0, 3.0});
    Tape tape;
    const Tensor<double> y = sign(x);
    EXPECT_TRUE(matches_reference(y.value(), xt::xarray<double>{nan, -1.0, 0.0, 1.0}, 0));
    EXPECT_TRUE(matches_reference(tape.gradient(sum(y), {x})[0].value(),
                                  xt::xarray<double>{0.0, 0.0, 0.0, 0.0}, 0));
}

}  // namespace
}  // namespace tg::test
