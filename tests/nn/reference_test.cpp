// The manual-backprop reference against the tape and against finite differences
// (issue 3): same forward values, dW_i, db_i and dX to 1e-12 relative in double, both
// matching central differences to 1e-6, and identical plain gradient descent.

#include "nn/nn_test_util.hpp"

#include <cstdio>
#include <sstream>

namespace tg::test {
namespace {

using nn::reference::Activation;
using nn::reference::Layer;
using nn::reference::Network;

constexpr Activation kActivations[] = {Activation::identity,   Activation::sigmoid,
                                       Activation::tanh,       Activation::relu,
                                       Activation::leaky_relu, Activation::softplus};

const char* name_of(Activation a) {
    switch (a) {
        case Activation::identity: return "identity";
        case Activation::sigmoid: return "sigmoid";
        case Activation::tanh: return "tanh";
        case Activation::relu: return "relu";
        case Activation::leaky_relu: return "leaky_relu";
        case Activation::softplus: return "softplus";
    }
    return "?";
}

/// One case of the agreement test: a network, a batch and targets.
struct Case {
    std::string name;
    Network<double> reference;
    Array<double> x;
    Array<double> y;
};

/// A network with the given widths (input first) and batch; layer i gets activation
/// number (first_activation + i) mod 6, so that every one appears in every position.
Case make_case(const std::string& label, const std::vector<std::size_t>& widths, std::size_t batch,
               std::size_t first_activation, nn::Rng& rng) {
    const std::size_t depth = widths.size() - 1;
    std::vector<Layer<double>> layers;
    std::ostringstream name;
    name << label << " batch " << batch << ": " << widths[0];
    for (std::size_t i = 0; i < depth; ++i) {
        Layer<double> l;
        l.weight = nn::xavier_normal<double>({widths[i + 1], widths[i]}, rng, 1.5);
        l.bias = nn::normal<double>({widths[i + 1]}, 0.0, 0.5, rng);
        l.activation = kActivations[(first_activation + i) % 6];
        l.slope = 0.05;
        name << " -> " << widths[i + 1] << " " << name_of(l.activation);
        layers.push_back(std::move(l));
    }
    Array<double> x = nn::normal<double>({batch, widths[0]}, 0.0, 1.0, rng);
    Array<double> y = nn::normal<double>({batch, widths[depth]}, 0.0, 1.0, rng);
    return {name.str(), Network<double>(std::move(layers)), std::move(x), std::move(y)};
}

/// A network of random depth 1–6, widths 1–64, batch 1–257.
Case random_case(std::size_t index, nn::Rng& rng) {
    const std::size_t depth = 1 + nn::uniform_index(rng, 6);
    std::vector<std::size_t> widths(depth + 1);
    for (auto& w : widths) w = 1 + nn::uniform_index(rng, 64);
    const std::size_t batch = 1 + nn::uniform_index(rng, 257);
    return make_case("net" + std::to_string(index), widths, batch, index, rng);
}

/// The blog network and blog data (docs/design.md), N = 256.
Case blog_case() {
    nn::Rng rng(2024);
    nn::Sequential<double> net = blog_network(rng);
    BlogData<double> data = blog_data(256, rng);
    return {"blog network, batch 256", nn::to_reference(net), data.x, data.y};
}

/// Gradients of one case from one source, in layer order, plus dX.
struct Gradients {
    std::vector<Array<double>> weight, bias;
    Array<double> input;
    Array<double> output;
    double loss = 0;
};

Gradients reference_gradients(Network<double>& ref, const Array<double>& x,
                              const Array<double>& y) {
    Gradients g;
    g.output = ref.forward(x);
    g.loss = ref.loss(y);
    ref.backward(y);
    for (std::size_t i = 0; i < ref.depth(); ++i) {
        g.weight.push_back(ref.grad_weight(i));
        g.bias.push_back(ref.grad_bias(i));
    }
    g.input = ref.grad_input();
    return g;
}

Gradients tape_gradients(nn::Sequential<double>& net, const Array<double>& x,
                         const Array<double>& y) {
    Tape tape;
    Tensor<double> input = parameter<double>(x);
    Tensor<double> output = net(input);
    Tensor<double> loss = nn::half_sse_per_example(output, Tensor<double>(y));
    tape.backward(loss);
    Gradients g;
    g.output = output.value();
    g.loss = loss.item();
    const auto params = net.parameters();
    for (std::size_t i = 0; i < params.size(); i += 2) {
        g.weight.push_back(params[i].grad().value());
        g.bias.push_back(params[i + 1].grad().value());
    }
    g.input = input.grad().value();
    return g;
}

/// Central differences of the reference loss at a few elements of every W_i, b_i and
/// X, compared with `g`: returns the norm-wise relative error over all sampled elements.
/// L(θ + h) − L(θ − h) is summed as Σ (A⁺ − A⁻) ⊙ (A⁺ + A⁻ − 2Y) / 2N, which is the same
/// number without the cancellation of two losses of size ~10 that differ by ~1e-7.
double finite_difference_error(Network<double> ref, const Array<double>& x, const Array<double>& y,
                               const Gradients& g, nn::Rng& rng, std::string& worst) {
    constexpr double h = 1e-6;
    constexpr std::size_t samples = 4;
    double max_diff = 0, max_grad = 0;
    Array<double> x_copy = x;
    Array<double> plus;
    const auto output_at = [&](double* element, double value, Array<double>& out) {
        const double saved = *element;
        *element = value;
        out = ref.forward(x_copy);
        *element = saved;
    };
    const auto difference_quotient = [&](double* element) {
        Array<double> minus;
        const double v = *element;
        output_at(element, v + h, plus);
        output_at(element, v - h, minus);
        double sum = 0;
        for (std::size_t i = 0; i < plus.size(); ++i)
            sum += (plus.data()[i] - minus.data()[i]) *
                   (plus.data()[i] + minus.data()[i] - 2 * y.data()[i]);
        return sum / (2.0 * static_cast<double>(plus.shape()[0])) / (2 * h);
    };
    const auto check = [&](const std::string& what, double* values, const Array<double>& grad) {
        for (std::size_t s = 0; s < std::min(samples, grad.size()); ++s) {
            const std::size_t k = grad.size() <= samples ? s : nn::uniform_index(rng, grad.size());
            const double fd = difference_quotient(values + k);
            const double diff = std::abs(fd - grad.data()[k]);
            if (diff > max_diff) {
                max_diff = diff;
                worst = what + "[" + std::to_string(k) + "]: finite difference " +
                        std::to_string(fd) + ", gradient " + std::to_string(grad.data()[k]);
            }
            max_grad = std::max(max_grad, std::abs(grad.data()[k]));
        }
    };
    for (std::size_t i = 0; i < ref.depth(); ++i) {
        check("W" + std::to_string(i + 1), ref.layer(i).weight.data(), g.weight[i]);
        check("b" + std::to_string(i + 1), ref.layer(i).bias.data(), g.bias[i]);
    }
    check("X", x_copy.data(), g.input);
    return max_diff / std::max(max_grad, 1e-300);
}

/// The largest errors seen over the cases of a test, printed at its end.
struct Worst {
    double tape_vs_reference = 0;
    double finite_differences = 0;
    void print(const char* what) const {
        std::printf(
            "    %s: max tape vs reference %.2e (limit 1e-12), max vs finite differences %.2e "
            "(limit 1e-6)\n",
            what, tape_vs_reference, finite_differences);
    }
};

void expect_three_way_agreement(Case& c, nn::Rng& rng, Worst& worst_seen) {
    SCOPED_TRACE(c.name);
    nn::Sequential<double> net = nn::to_sequential(c.reference);
    const Gradients ref = reference_gradients(c.reference, c.x, c.y);
    const Gradients tape = tape_gradients(net, c.x, c.y);

    const auto agree = [&](const Array<double>& a, const Array<double>& b,
                           const std::string& what) {
        const double e = relative_error(a, b);
        worst_seen.tape_vs_reference = std::max(worst_seen.tape_vs_reference, e);
        EXPECT_LE(e, 1e-12) << what;
    };
    agree(tape.output, ref.output, "forward values");
    EXPECT_NEAR(tape.loss, ref.loss, 1e-12 * std::abs(ref.loss));
    ASSERT_EQ(tape.weight.size(), ref.weight.size());
    for (std::size_t i = 0; i < ref.weight.size(); ++i) {
        agree(tape.weight[i], ref.weight[i], "dW" + std::to_string(i + 1));
        agree(tape.bias[i], ref.bias[i], "db" + std::to_string(i + 1));
    }
    agree(tape.input, ref.input, "dX");

    std::string worst;
    double e = finite_difference_error(c.reference, c.x, c.y, ref, rng, worst);
    worst_seen.finite_differences = std::max(worst_seen.finite_differences, e);
    EXPECT_LE(e, 1e-6) << "reference vs finite differences, worst " << worst;
    e = finite_difference_error(c.reference, c.x, c.y, tape, rng, worst);
    worst_seen.finite_differences = std::max(worst_seen.finite_differences, e);
    EXPECT_LE(e, 1e-6) << "tape vs finite differences, worst " << worst;
}

TEST(ReferenceAgreement, BlogNetworkMatchesTapeAndFiniteDifferences) {
    Case c = blog_case();
    nn::Rng rng(1);
    Worst worst;
    expect_three_way_agreement(c, rng, worst);
    worst.print("blog network");
}

TEST(ReferenceAgreement, SixtyRandomNetworksMatchTapeAndFiniteDifferences) {
    nn::Rng rng(20240611);
    Worst worst;
    for (std::size_t i = 0; i < 60; ++i) {
        Case c = random_case(i, rng);
        expect_three_way_agreement(c, rng, worst);
    }
    worst.print("60 random networks");
}

TEST(ReferenceAgreement, ExtremeSizesMatchTapeAndFiniteDifferences) {
    nn::Rng rng(77);
    Worst worst;
    for (std::size_t first = 0; first < 6; ++first) {
        Case narrow = make_case("width 1", {1, 1, 1, 1, 1, 1, 1}, 1, first, rng);
        expect_three_way_agreement(narrow, rng, worst);
    }
    Case wide = make_case("width 64", {64, 64, 64, 64, 64, 64, 64}, 257, 0, rng);
    expect_three_way_agreement(wide, rng, worst);
    worst.print("extreme sizes");
}

TEST(ReferenceAgreement, FloatNetworkMatchesTape) {
    nn::Rng rng(5);
    nn::Sequential<float> net = blog_network<float>(rng);
    BlogData<float> data = blog_data<float>(33, rng);
    Network<float> ref = nn::to_reference(net);
    ref.forward(data.x);
    ref.backward(data.y);
    Tape tape;
    Tensor<float> x = parameter<float>(data.x);
    tape.backward(nn::half_sse_per_example(net(x), Tensor<float>(data.y)));
    const auto params = net.parameters();
    for (std::size_t i = 0; i < ref.depth(); ++i) {
        EXPECT_LE(relative_error(params[2 * i].grad().value(), ref.grad_weight(i)), 1e-5)
            << "dW" << i + 1;
        EXPECT_LE(relative_error(params[2 * i + 1].grad().value(), ref.grad_bias(i)), 1e-5)
            << "db" << i + 1;
    }
    EXPECT_LE(relative_error(x.grad().value(), ref.grad_input()), 1e-5);
}

TEST(ReferenceTraining, HundredStepsOfGradientDescentMatchSgd) {
    constexpr double lr = 0.5;
    nn::Rng rng(7);
    nn::Sequential<double> net = blog_network(rng);
    BlogData<double> data = blog_data(64, rng);
    Network<double> ref = nn::to_reference(net);
    optim::SGD<double> sgd(net.parameters(), lr);

    const Tensor<double> x(data.x), y(data.y);
    Tape tape;  // one tape for the whole loop
    double first_loss = 0, last_loss = 0;
    for (int step = 0; step < 100; ++step) {
        sgd.zero_grad();
        Tensor<double> loss = nn::half_sse_per_example(net(x), y);
        tape.backward(loss);
        sgd.step();
        const double ref_loss = ref.train_step(data.x, data.y, lr);
        ASSERT_NEAR(loss.item(), ref_loss, 1e-10 * ref_loss) << "step " << step;
        if (step == 0) first_loss = ref_loss;
        last_loss = ref_loss;
    }
    EXPECT_LT(last_loss, first_loss) << "100 steps should make progress, or the test shows nothing";
    const auto params = net.named_parameters();
    for (std::size_t i = 0; i < ref.depth(); ++i) {
        EXPECT_LE(relative_error(params[2 * i].second.value(), ref.layer(i).weight), 1e-10)
            << params[2 * i].first;
        EXPECT_LE(relative_error(params[2 * i + 1].second.value(), ref.layer(i).bias), 1e-10)
            << params[2 * i + 1].first;
    }
    // The weights changed: comparing them is not comparing the initial values.
    nn::Rng again(7);
    nn::Sequential<double> initial = blog_network(again);
    EXPECT_GT(relative_error(initial.parameters()[0].value(), ref.layer(0).weight), 1e-6);
}

TEST(ReferenceNetwork, HandsWeightsBackToSequential) {
    nn::Rng rng(9);
    nn::Sequential<double> net = blog_network(rng);
    BlogData<double> data = blog_data(16, rng);
    Network<double> ref = nn::to_reference(net);
    for (int i = 0; i < 3; ++i) ref.train_step(data.x, data.y, 0.1);
    nn::copy_weights(ref, net);
    const auto params = net.parameters();
    for (std::size_t i = 0; i < ref.depth(); ++i) {
        EXPECT_EQ(relative_error(params[2 * i].value(), ref.layer(i).weight), 0.0);
        EXPECT_EQ(relative_error(params[2 * i + 1].value(), ref.layer(i).bias), 0.0);
    }
    nn::Sequential<double> copy = nn::to_sequential(ref);
    EXPECT_EQ(copy.describe(), net.describe());
}

TEST(ReferenceNetwork, ReadsEveryActivationModule) {
    nn::Rng rng(3);
    nn::Sequential<double> net{nn::Dense(2, 3, rng), nn::Sigmoid(),        nn::Dense(3, 3, rng),
                               nn::Tanh(),           nn::Dense(3, 3, rng), nn::ReLU(),
                               nn::Dense(3, 3, rng), nn::LeakyReLU(0.2),   nn::Dense(3, 3, rng),
                               nn::Softplus(),       nn::Dense(3, 1, rng), nn::Identity()};
    Network<double> ref = nn::to_reference(net);
    ASSERT_EQ(ref.depth(), 6u);
    EXPECT_EQ(ref.layer(0).activation, Activation::sigmoid);
    EXPECT_EQ(ref.layer(1).activation, Activation::tanh);
    EXPECT_EQ(ref.layer(2).activation, Activation::relu);
    EXPECT_EQ(ref.layer(3).activation, Activation::leaky_relu);
    EXPECT_DOUBLE_EQ(ref.layer(3).slope, 0.2);
    EXPECT_EQ(ref.layer(4).activation, Activation::softplus);
    EXPECT_EQ(ref.layer(5).activation, Activation::identity);
}

TEST(ReferenceNetwork, RejectsStructuresItCannotRepresent) {
    nn::Rng rng(3);
    nn::Sequential<double> two_activations{nn::Dense(2, 3, rng), nn::Sigmoid(), nn::Tanh()};
    EXPECT_THROW(nn::to_reference(two_activations), ValueError);
    nn::Sequential<double> activation_first{nn::Sigmoid(), nn::Dense(2, 3, rng)};
    EXPECT_THROW(nn::to_reference(activation_first), ValueError);
    nn::Sequential<double> nested;
    nested.add(nn::Sequential<double>{nn::Dense(2, 3, rng), nn::Tanh()});
    EXPECT_THROW(nn::to_reference(nested), ValueError);
    nn::Sequential<double> empty;
    EXPECT_THROW(nn::to_reference(empty), ValueError);

    std::vector<Layer<double>> mismatched(2);
    mismatched[0].weight = Array<double>(Shape{3, 2});
    mismatched[0].bias = Array<double>(Shape{3});
    mismatched[1].weight = Array<double>(Shape{1, 4});
    mismatched[1].bias = Array<double>(Shape{1});
    EXPECT_THROW(Network<double>{mismatched}, ShapeError);
}

TEST(ReferenceNetwork, ChecksShapesAndOrder) {
    nn::Rng rng(3);
    nn::Sequential<double> net{nn::Dense(2, 3, rng), nn::Tanh(), nn::Dense(3, 1, rng)};
    Network<double> ref = nn::to_reference(net);
    EXPECT_THROW(ref.grad_weight(0), ValueError);  // no backward yet
    EXPECT_THROW(ref.forward(Array<double>(Shape{4, 3})), ShapeError);
    ref.forward(Array<double>(Shape{4, 2}, 0.5));
    EXPECT_THROW(ref.backward(Array<double>(Shape{4, 2})), ShapeError);
    nn::Sequential<double> other{nn::Dense(2, 4, rng), nn::Tanh(), nn::Dense(4, 1, rng)};
    EXPECT_THROW(nn::copy_weights(ref, other), ShapeError);
}

}  // namespace
}  // namespace tg::test
