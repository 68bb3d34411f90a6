// Anomaly mode on a whole model: a NaN in one weight of the blog network (or in its
// input, or in a loaded checkpoint) is caught at the first op whose output holds a NaN,
// and the message names that op and its shapes. (tests/core/anomaly_test.cpp covers
// single ops, forward and backward.)

#include "nn/nn_test_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

namespace tg::test {
namespace {

/// `EXPECT_TRUE(contains(message, "linear"))` prints the whole message when it fails.
::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << part << "\" not found in: \"" << text << "\"";
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kBatch = 8;

struct BlogCase {
    nn::Sequential<double> net;
    Tensor<double> x, y;
};

BlogCase blog_setup() {
    nn::Rng rng(5);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> d = blog_data<double>(kBatch, rng);
    return {net, Tensor<double>(d.x), Tensor<double>(d.y)};
}

/// The value of parameter `name` of `net`.
Tensor<double> parameter_named(const nn::Module<double>& net, const std::string& name) {
    for (const auto& [n, p] : net.named_parameters())
        if (n == name) return p;
    ADD_FAILURE() << "no parameter " << name;
    return {};
}

/// Runs one forward pass and loss under a tape; returns the AnomalyError message ("" when
/// none was thrown) and how many entries the tape held when it was thrown. The layers'
/// outputs are held, so the tape keeps what the layers before the failing one recorded.
std::string forward_anomaly(BlogCase& s, std::size_t& entries, bool use_tape_option) {
    std::optional<DetectAnomalyGuard> guard;
    if (!use_tape_option) guard.emplace();
    Tape tape(TapeOptions{use_tape_option});
    std::vector<Tensor<double>> outputs;
    try {
        outputs.push_back(s.x);
        for (const auto& child : s.net.children())
            outputs.push_back(child.second->forward(outputs.back()));
        Tensor<double> loss = nn::half_sse_per_example(outputs.back(), s.y);
        tape.backward(loss);
    } catch (const AnomalyError& e) {
        entries = tape.size();
        return e.what();
    }
    entries = tape.size();
    return "";
}

TEST(AnomalyModel, NanInAHiddenWeightIsCaughtAtItsLinear) {
    for (const bool tape_option : {false, true}) {
        SCOPED_TRACE(tape_option ? "TapeOptions{detect_anomaly}" : "DetectAnomalyGuard");
        BlogCase s = blog_setup();
        // Dense(32, 16) is module 4: its weight is (16, 32). The layers before it are
        // finite, so the first NaN is the output of that layer's fused linear.
        Tensor<double> w = parameter_named(s.net, "4.weight");
        w.mutable_value()(3, 7) = kNaN;
        std::size_t entries = 0;
        const std::string msg = forward_anomaly(s, entries, tape_option);
        EXPECT_TRUE(contains(msg, "anomaly: forward of 'linear'"));
        EXPECT_TRUE(contains(msg, "NaN or Inf"));
        EXPECT_TRUE(contains(msg, "(8, 16)"));   // its output
        EXPECT_TRUE(contains(msg, "(8, 32)"));   // x
        EXPECT_TRUE(contains(msg, "(16, 32)"));  // W
        // linear, sigmoid, linear, sigmoid were recorded; the failing linear was not.
        EXPECT_EQ(entries, 4u);
        EXPECT_FALSE(w.has_grad());
    }
}

TEST(AnomalyModel, NanInTheFirstBiasIsCaughtAtTheFirstLinear) {
    BlogCase s = blog_setup();
    parameter_named(s.net, "0.bias").mutable_value()(31) = kNaN;
    std::size_t entries = 0;
    const std::string msg = forward_anomaly(s, entries, false);
    EXPECT_TRUE(contains(msg, "forward of 'linear'"));
    EXPECT_TRUE(contains(msg, "(8, 32)"));
    EXPECT_EQ(entries, 0u);
}

TEST(AnomalyModel, NanInTheInputIsCaughtAtTheFirstLinear) {
    // x is a constant: nothing checks it until the first recorded op consumes it.
    BlogCase s = blog_setup();
    Tensor<double> x = s.x.detach();
    x.mutable_value()(2, 0) = kNaN;
    s.x = x;
    std::size_t entries = 0;
    const std::string msg = forward_anomaly(s, entries, false);
    EXPECT_TRUE(contains(msg, "forward of 'linear'"));
    EXPECT_TRUE(contains(msg, "(8, 1)"));
    EXPECT_EQ(entries, 0u);
}

TEST(AnomalyModel, NanFromACheckpointIsCaughtAtTheFirstUse) {
    // Checkpoints are loaded as they are (a NaN is a valid float64); anomaly mode is how
    // a corrupted one is found.
    BlogCase s = blog_setup();
    const std::string path = temp_path("nan_weight.npz");
    {
        BlogCase corrupted = blog_setup();
        parameter_named(corrupted.net, "8.weight").mutable_value()(0, 5) = kNaN;
        nn::save(corrupted.net, path);
    }
    nn::load(s.net, path);
    std::size_t entries = 0;
    const std::string msg = forward_anomaly(s, entries, false);
    EXPECT_TRUE(contains(msg, "forward of 'linear'"));
    EXPECT_TRUE(contains(msg, "(8, 1)"));  // the output layer: Dense(16, 1)
    EXPECT_EQ(entries, 8u);                // four (linear, sigmoid) pairs before it
    std::remove(path.c_str());
}

TEST(AnomalyModel, WithoutAnomalyModeTheNanReachesTheLossAndEveryGradient) {
    // What anomaly mode saves the user from: no error, a NaN loss and NaN gradients in
    // every layer up to the corrupted one (and in its own weight).
    BlogCase s = blog_setup();
    parameter_named(s.net, "4.weight").mutable_value()(3, 7) = kNaN;
    Tape tape;
    Tensor<double> loss = nn::half_sse_per_example(s.net(s.x), s.y);
    tape.backward(loss);
    EXPECT_TRUE(std::isnan(loss.item()));
    for (const char* name : {"0.weight", "4.weight", "8.bias"}) {
        const Array<double> g = parameter_named(s.net, name).grad().value();
        EXPECT_TRUE(std::any_of(g.begin(), g.end(), [](double v) { return std::isnan(v); }))
            << name;
    }
}

TEST(AnomalyModel, AFiniteModelTrainsUnchangedInAnomalyMode) {
    // The checks cost time, never results: ten steps with and without give equal bits.
    auto train = [](bool anomaly) {
        BlogCase s = blog_setup();
        optim::SGD<double> sgd(s.net.parameters(), 0.5);
        std::optional<DetectAnomalyGuard> guard;
        if (anomaly) guard.emplace();
        Tape tape;
        for (int i = 0; i < 10; ++i) {
            sgd.zero_grad();
            tape.backward(nn::half_sse_per_example(s.net(s.x), s.y));
            sgd.step();
        }
        std::vector<Array<double>> out;
        for (const auto& p : s.net.parameters()) out.push_back(p.value());
        return out;
    };
    const auto plain = train(false), checked = train(true);
    ASSERT_EQ(plain.size(), checked.size());
    for (std::size_t i = 0; i < plain.size(); ++i)
        EXPECT_EQ(relative_error(checked[i], plain[i]), 0.0) << "parameter #" << i;
}

}  // namespace
}  // namespace tg::test
