// Module, Dense, the activation modules and Sequential.

#include "nn/nn_test_util.hpp"

namespace tg::test {
namespace {

std::vector<std::string> names_of(const nn::Module<double>& m) {
    std::vector<std::string> names;
    for (const auto& [name, p] : m.named_parameters()) names.push_back(name);
    return names;
}

TEST(Dense, HasWeightOutByInAndBiasOut) {
    nn::Rng rng(1);
    nn::Dense<double> layer(3, 2, rng);
    EXPECT_EQ(layer.weight().shape(), (Shape{2, 3}));
    EXPECT_EQ(layer.bias().shape(), (Shape{2}));
    EXPECT_TRUE(layer.weight().requires_grad());
    EXPECT_EQ(names_of(layer), (std::vector<std::string>{"weight", "bias"}));
    EXPECT_EQ(layer.describe(), "Dense(in=3, out=2)");
}

TEST(Dense, ForwardIsXTimesWeightTransposedPlusBias) {
    nn::Dense<double> layer(Array<double>{{1.0, 2.0, 3.0}, {-1.0, 0.0, 1.0}},
                            Array<double>{0.5, -0.5});
    const Tensor<double> x{{1.0, 1.0, 1.0}, {2.0, 0.0, -1.0}};
    const Array<double> expected{{6.5, -0.5}, {-0.5, -3.5}};
    EXPECT_EQ(relative_error(layer(x).value(), expected), 0.0);
}

TEST(Dense, SameSeedGivesSameWeights) {
    nn::Rng a(99), b(99), c(100);
    nn::Dense<double> first(4, 5, a), second(4, 5, b), third(4, 5, c);
    EXPECT_EQ(relative_error(first.weight().value(), second.weight().value()), 0.0);
    EXPECT_GT(relative_error(first.weight().value(), third.weight().value()), 0.0);
    nn::manual_seed(5);
    nn::Dense<double> d1(4, 5);
    nn::manual_seed(5);
    nn::Dense<double> d2(4, 5);
    EXPECT_EQ(relative_error(d1.weight().value(), d2.weight().value()), 0.0);
}

TEST(Dense, RejectsEmptyAndMismatchedShapes) {
    EXPECT_THROW(nn::Dense<double>(0, 3), ValueError);
    EXPECT_THROW(nn::Dense<double>(Array<double>(Shape{2, 3}), Array<double>(Shape{3})),
                 ShapeError);
}

TEST(Sequential, NamesParametersLikePyTorch) {
    nn::Rng rng(1);
    nn::Sequential net{nn::Dense(1, 4, rng), nn::Sigmoid(), nn::Dense(4, 1, rng), nn::Tanh()};
    static_assert(std::is_same_v<decltype(net), nn::Sequential<double>>);
    EXPECT_EQ(names_of(net),
              (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
    EXPECT_EQ(net.parameters().size(), 4u);
    EXPECT_EQ(net.size(), 4u);
    EXPECT_EQ(net.describe(), "Sequential(Dense(in=1, out=4), Sigmoid, Dense(in=4, out=1), Tanh)");
    EXPECT_EQ(net.get<nn::Dense<double>>(2).in_features(), 4u);
    EXPECT_THROW(net.get<nn::Dense<double>>(1), ValueError);
    EXPECT_THROW((void)net[7], ValueError);
}

TEST(Sequential, NestsWithDottedNames) {
    nn::Rng rng(1);
    auto inner = std::make_shared<nn::Sequential<double>>(nn::Dense(2, 2, rng), nn::ReLU());
    nn::Sequential<double> outer;
    outer.add(nn::Dense(3, 2, rng))
        .add(inner)
        .add(nn::LeakyReLU(0.1))
        .add(nn::Softplus())
        .add(nn::Identity());
    EXPECT_EQ(names_of(outer),
              (std::vector<std::string>{"0.weight", "0.bias", "1.0.weight", "1.0.bias"}));
    // The shared child is the same object: its parameters are the outer's.
    EXPECT_TRUE(outer.parameters()[2].same(inner->parameters()[0]));
    const Tensor<double> y = outer(Tensor<double>(Array<double>(Shape{5, 3}, 0.25)));
    EXPECT_EQ(y.shape(), (Shape{5, 2}));
}

TEST(Sequential, FloatElementTypeIsDeducedFromTheFirstModule) {
    nn::Rng rng(1);
    nn::Sequential net{nn::Dense<float>(2, 3, rng), nn::Tanh<float>()};
    static_assert(std::is_same_v<decltype(net), nn::Sequential<float>>);
    const Tensor<float> y = net(Tensor<float>(Array<float>(Shape{4, 2}, 1.0f)));
    EXPECT_EQ(y.shape(), (Shape{4, 3}));
}

TEST(Sequential, ForwardRecordsOnTheTapeAndZeroGradClears) {
    nn::Rng rng(1);
    nn::Sequential net{nn::Dense(2, 3, rng), nn::Sigmoid(), nn::Dense(3, 1, rng)};
    Tape tape;
    const Tensor<double> x(Array<double>(Shape{4, 2}, 1.0));
    tape.backward(sum(net(x)));
    for (const Tensor<double>& p : net.parameters()) ASSERT_TRUE(p.has_grad());
    net.zero_grad(/*set_to_none=*/false);  // zeros, in the same buffers
    for (const Tensor<double>& p : net.parameters())
        for (double g : p.grad().value()) EXPECT_EQ(g, 0.0);
    net.zero_grad();  // dropped, as PyTorch's default
    for (const Tensor<double>& p : net.parameters()) EXPECT_FALSE(p.has_grad());
    tape.backward(sum(net(x)));
    for (const Tensor<double>& p : net.parameters()) EXPECT_TRUE(p.has_grad());
}

TEST(Module, TrainAndEvalReachEverySubmodule) {
    nn::Rng rng(1);
    auto inner = std::make_shared<nn::Sequential<double>>(nn::Dense(2, 2, rng));
    nn::Sequential<double> outer;
    outer.add(inner);
    EXPECT_TRUE(outer.is_training());
    outer.eval();
    EXPECT_FALSE(outer.is_training());
    EXPECT_FALSE(inner->is_training());
    EXPECT_FALSE((*inner)[0].is_training());
    outer.train();
    EXPECT_TRUE((*inner)[0].is_training());
}

/// A user-defined module: y = scale ⊙ tanh(x Wᵀ + b) with a registered submodule.
class ScaledTanh : public nn::Module<double> {
public:
    explicit ScaledTanh(nn::Rng& rng) {
        dense_ = register_module("dense", std::make_shared<nn::Dense<double>>(2, 2, rng));
        scale_ = register_parameter("scale", Tensor<double>(Array<double>{1.0, 2.0}));
    }
    Tensor<double> forward(const Tensor<double>& x) override {
        return tanh(dense_->forward(x)) * scale_;
    }
    std::string describe() const override { return "ScaledTanh"; }
    void add_duplicate() { register_parameter("scale", Tensor<double>(1.0)); }
    void add_dotted() { register_parameter("a.b", Tensor<double>(1.0)); }

private:
    std::shared_ptr<nn::Dense<double>> dense_;
    Tensor<double> scale_;
};

TEST(Module, UserModulesListOwnParametersFirst) {
    nn::Rng rng(1);
    ScaledTanh m(rng);
    EXPECT_EQ(names_of(m), (std::vector<std::string>{"scale", "dense.weight", "dense.bias"}));
    EXPECT_TRUE(m.parameters()[0].requires_grad());  // registration marks it
    EXPECT_THROW(m.add_duplicate(), ValueError);
    EXPECT_THROW(m.add_dotted(), ValueError);
    Tape tape;
    tape.backward(sum(m(Tensor<double>{{1.0, -1.0}})));
    EXPECT_TRUE(m.parameters()[0].has_grad());
}

TEST(Module, CopiesShareParameters) {
    nn::Rng rng(1);
    nn::Dense<double> a(2, 2, rng);
    nn::Dense<double> b = a;
    EXPECT_TRUE(a.weight().same(b.weight()));
}

}  // namespace
}  // namespace tg::test
