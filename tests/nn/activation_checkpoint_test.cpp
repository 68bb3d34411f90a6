// tg::checkpoint, tg::nn::checkpoint_sequential and tg::nn::CheckpointWrapper: gradients
// bit-identical to the run without checkpointing (with dropout, under create_graph, in
// tape.gradient, under DataParallel), fewer saved bytes, and the errors.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/nn/activation_checkpoint.hpp>
#include <tapegrad/nn/data_parallel.hpp>

namespace tg::test {
namespace {

/// Dense-Tanh-Dropout-Dense-Tanh: parameters inside, a random op, ops that save tensors.
nn::Sequential<double> block(nn::Rng& rng, nn::Rng* dropout_rng = nullptr) {
    return nn::Sequential<double>{nn::Dense<double>(6, 16, rng), nn::Tanh<double>(),
                                  nn::Dropout<double>(0.3, dropout_rng),
                                  nn::Dense<double>(16, 6, rng), nn::Tanh<double>()};
}

Tensor<double> input(nn::Rng& rng, std::size_t rows = 8) {
    return randn<double>({rows, 6}, rng, /*requires_grad=*/true);
}

/// Every parameter's gradient, then x's.
std::vector<Array<double>> grads(nn::Module<double>& net, const Tensor<double>& x) {
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.grad().value());
    out.push_back(x.grad().value());
    return out;
}

void expect_identical(const std::vector<Array<double>>& got,
                      const std::vector<Array<double>>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_TRUE(got[i] == want[i])
            << "gradient #" << i << " differs by " << xt::amax(xt::abs(got[i] - want[i]))();
}

/// loss(net(x)) backpropagated, with net's forward checkpointed or not; the gradients.
std::vector<Array<double>> run(nn::Sequential<double>& net, const Tensor<double>& x,
                               bool checkpointed) {
    net.zero_grad();
    if (Tensor<double> handle = x; handle.has_grad()) handle.zero_grad();
    Tape tape;
    auto forward = [&](const Tensor<double>& in) { return net(in); };
    Tensor<double> y = checkpointed ? checkpoint<double>(forward, x) : forward(x);
    tape.backward(sum(square(y)));
    return grads(net, x);
}

TEST(ActivationCheckpoint, GradientsAreBitIdenticalWithDropout) {
    nn::Rng init(1), data(2);
    nn::Sequential<double> net = block(init);
    const Tensor<double> x = input(data);
    nn::manual_seed(11);
    const auto want = run(net, x, false);
    const auto after_plain = nn::rng_state(nn::default_rng());
    nn::manual_seed(11);
    expect_identical(run(net, x, true), want);
    // The recomputation draws the first run's masks and leaves the generator where the
    // first run left it.
    EXPECT_EQ(nn::rng_state(nn::default_rng()), after_plain);
}

TEST(ActivationCheckpoint, AGeneratorOfTheLayerIsRestoredToo) {
    nn::Rng init(1), data(2), dropout_rng(5);
    nn::Sequential<double> net = block(init, &dropout_rng);
    const Tensor<double> x = input(data);
    const auto start = nn::rng_state(dropout_rng);
    const auto want = run(net, x, false);
    const auto end = nn::rng_state(dropout_rng);
    nn::set_rng_state(dropout_rng, start);
    expect_identical(run(net, x, true), want);
    EXPECT_EQ(nn::rng_state(dropout_rng), end);
}

TEST(ActivationCheckpoint, DropsTheSavedActivations) {
    nn::Rng init(1), data(2);
    nn::Sequential<double> net = block(init);
    net.eval();  // no dropout: its mask is an activation too, but compare like with like
    const Tensor<double> x = input(data, 64);
    std::size_t plain = 0, checkpointed = 0;
    {
        Tape tape;
        Tensor<double> y = net(x);
        plain = tape.bytes();
    }
    {
        Tape tape;
        Tensor<double> y = checkpoint<double>([&](const Tensor<double>& in) { return net(in); }, x);
        checkpointed = tape.bytes();
    }
    // Saved without checkpointing: x, the weights (leaves), the tanh outputs (64 x 16,
    // saved twice: by tanh and by the second Dense, and 64 x 6). With it, only x (the
    // input), y (the output) and the weights stay.
    const std::size_t weights = 2 * 6 * 16 * sizeof(double);
    EXPECT_EQ(plain, (64 * 6 + 2 * 64 * 16 + 64 * 6) * sizeof(double) + weights);
    EXPECT_EQ(checkpointed, (64 * 6 + 64 * 6) * sizeof(double) + weights);
}

TEST(ActivationCheckpoint, SecondOrderEqualsTheRunWithout) {
    nn::Rng init(3), data(4);
    nn::Sequential<double> net = block(init);
    net.eval();
    const Tensor<double> x = input(data);
    auto second = [&](bool checkpointed) {
        net.zero_grad();
        Tensor<double>(x).reset_grad();
        Tape tape;
        auto forward = [&](const Tensor<double>& in) { return net(in); };
        Tensor<double> y = checkpointed ? checkpoint<double>(forward, x) : forward(x);
        // d/dθ of |d loss / d x|²: differentiates through the recomputed activations.
        Tensor<double> gx = tape.gradient(sum(square(y)), {x}, BackwardOptions{false, true})[0];
        tape.backward(sum(square(gx)));
        return grads(net, x);
    };
    // The recomputed activations are a second copy of that part of the graph, so their
    // contributions to a parameter add up in another order: equal to a few ulps, not
    // bit for bit (PyTorch's checkpoint is the same).
    const auto want = second(false);
    const auto got = second(true);
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_LT(relative_error(got[i], want[i]), 1e-14) << "gradient #" << i;
}

// The second run stops once the last op whose saved tensors backward needs is recorded
// (PyTorch's early stop): tanh here, which saves its output; the product after it saves
// that output (kept at the stop) and a parameter, so it does not run again, as a block's
// last Linear does not. The gradients are those of the run without checkpointing.
TEST(ActivationCheckpoint, TheSecondRunStopsAfterTheLastOpBackwardNeeds) {
    nn::Rng data(5);
    const Tensor<double> x = input(data), w = randn<double>({6}, data, /*requires_grad=*/true);
    int past_tanh = 0;
    auto fn = [&](const Tensor<double>& in) {
        const Tensor<double> t = tanh(in);
        ++past_tanh;
        return t * w;
    };
    auto gradients = [&](bool checkpointed) {
        Tensor<double>(x).reset_grad();
        Tensor<double>(w).reset_grad();
        Tape tape;
        tape.backward(sum(square(checkpointed ? checkpoint<double>(fn, x) : fn(x))));
        return std::vector<Array<double>>{w.grad().value(), x.grad().value()};
    };
    const auto want = gradients(false);
    past_tanh = 0;
    expect_identical(gradients(true), want);
    EXPECT_EQ(past_tanh, 1);  // the first run only
}

TEST(ActivationCheckpoint, RetainGraphAndGradientMode) {
    nn::Rng init(5), data(6);
    nn::Sequential<double> net = block(init);
    net.eval();
    const Tensor<double> x = input(data);
    const auto params = net.parameters();
    Tape plain_tape;
    const Tensor<double> plain = sum(square(net(x)));
    const auto want = plain_tape.gradient(plain, params);
    Tape tape;
    const Tensor<double> loss =
        sum(square(checkpoint<double>([&](const Tensor<double>& in) { return net(in); }, x)));
    for (int pass = 0; pass < 2; ++pass) {
        const auto got = tape.gradient(loss, params, BackwardOptions{true, false});
        for (std::size_t i = 0; i < got.size(); ++i)
            EXPECT_TRUE(got[i].value() == want[i].value()) << "pass " << pass << ", #" << i;
    }
}

TEST(ActivationCheckpoint, SeveralInputsAndOutputs) {
    nn::Rng rng(7);
    const Tensor<double> a = randn<double>({3, 4}, rng, true);
    const Tensor<double> b = randn<double>({4, 2}, rng, true);
    auto fn = [](const std::vector<Tensor<double>>& in) {
        Tensor<double> h = tanh(matmul(in[0], in[1]));
        return std::vector<Tensor<double>>{exp(h), sigmoid(h)};
    };
    auto grads_of = [&](bool checkpointed) {
        Tape tape;
        const auto out = checkpointed ? checkpoint<double>(fn, {a, b}) : fn({a, b});
        return tape.gradient(sum(out[0] * out[1]) + sum(out[1]), {a, b});
    };
    const auto want = grads_of(false);
    const auto got = grads_of(true);
    for (std::size_t i = 0; i < 2; ++i) EXPECT_TRUE(got[i].value() == want[i].value());
}

TEST(ActivationCheckpoint, WithoutATapeItIsTheFunction) {
    const Tensor<double> x({1.0, 2.0});
    const Tensor<double> y = checkpoint<double>([](const Tensor<double>& v) { return exp(v); }, x);
    EXPECT_TRUE(y.value() == exp(x).value());
}

TEST(ActivationCheckpoint, ANestedCheckpointRunsPlainly) {
    nn::Rng rng(14);
    const Tensor<double> x = randn<double>({4, 4}, rng, true);
    auto inner = [](const Tensor<double>& v) { return tanh(exp(v)); };
    auto outer = [&](const Tensor<double>& v) { return sigmoid(checkpoint<double>(inner, v)); };
    Tape plain_tape;
    const auto want = plain_tape.gradient(sum(sigmoid(inner(x))), {x})[0];
    Tape tape;
    const Tensor<double> y = checkpoint<double>(outer, x);
    EXPECT_EQ(tape.bytes(), 16 * sizeof(double));  // y: the outer one dropped exp and tanh's
    EXPECT_TRUE(tape.gradient(sum(y), {x})[0].value() == want.value());
}

TEST(ActivationCheckpoint, InFloat) {
    nn::Rng rng(15);
    const Tensor<float> x = randn<float>({3, 5}, rng, true);
    auto fn = [](const Tensor<float>& v) { return sum(tanh(v * v)); };
    Tape plain_tape;
    const auto want = plain_tape.gradient(fn(x), {x})[0];
    Tape tape;
    EXPECT_TRUE(tape.gradient(checkpoint<float>(fn, x), {x})[0].value() == want.value());
}

TEST(ActivationCheckpoint, AnUndefinedInputIsRefused) {
    Tape tape;
    expect_message<ValueError>(
        [] {
            checkpoint<double>([](const std::vector<Tensor<double>>& in) { return in; },
                               {Tensor<double>()});
        },
        {"checkpoint: input #0 is undefined"});
}

TEST(ActivationCheckpoint, AFunctionThatRecordsOtherOpsAgainIsRefused) {
    const Tensor<double> x = parameter<double>(xt::xarray<double>{1.0, 2.0});
    int calls = 0;
    Tape tape;
    const Tensor<double> y = checkpoint<double>(
        [&](const Tensor<double>& v) { return ++calls == 1 ? exp(tanh(v)) : exp(v); }, x);
    expect_message<GraphError>([&] { tape.backward(sum(y)); },
                               {"checkpoint: the checkpointed function recorded 2 ops the first "
                                "time and 1 different ones when run again for backward"});
}

TEST(ActivationCheckpoint, CheckpointSequentialSplitsIntoSegments) {
    nn::Rng init(8), data(9);
    nn::Sequential<double> net = block(init);
    const Tensor<double> x = input(data);
    nn::manual_seed(3);
    const auto want = run(net, x, false);
    for (std::size_t segments = 1; segments <= net.size(); ++segments) {
        net.zero_grad();
        Tensor<double>(x).zero_grad();
        nn::manual_seed(3);
        Tape tape;
        tape.backward(sum(square(nn::checkpoint_sequential(net, segments, x))));
        expect_identical(grads(net, x), want);
    }
    expect_message<ValueError>([&] { nn::checkpoint_sequential(net, 6, x); },
                               {"checkpoint_sequential: segments = 6 for a Sequential of 5 "
                                "modules"});
}

TEST(ActivationCheckpoint, WrapperNamesAndGradients) {
    nn::Rng init(10), data(11);
    auto inner = std::make_shared<nn::Sequential<double>>(block(init));
    nn::Sequential<double> net{inner};
    nn::Sequential<double> wrapped{std::make_shared<nn::CheckpointWrapper<double>>(inner)};
    EXPECT_EQ(wrapped.named_parameters()[0].first, "0.module.0.weight");
    EXPECT_EQ(wrapped.describe().rfind("Sequential(CheckpointWrapper(Sequential(Dense", 0), 0u);
    const Tensor<double> x = input(data);
    nn::manual_seed(4);
    const auto want = run(net, x, false);
    nn::manual_seed(4);
    expect_identical(run(wrapped, x, false), want);
    expect_message<ValueError>([] { nn::CheckpointWrapper<double> w(nullptr); },
                               {"CheckpointWrapper: the module is null"});
}

TEST(ActivationCheckpoint, UnderDataParallelTheGradientsAreOneThreads) {
    nn::Rng init(12), data(13);
    auto inner = std::make_shared<nn::Sequential<double>>(block(init));
    nn::Sequential<double> net{std::make_shared<nn::CheckpointWrapper<double>>(inner)};
    const Tensor<double> x = randn<double>({32, 6}, data);
    const Tensor<double> target = randn<double>({32, 6}, data);
    auto loss = [](const Tensor<double>& p, const Tensor<double>& y) {
        return nn::half_sse_per_example(p, y);
    };
    nn::manual_seed(21);
    {
        Tape tape;
        tape.backward(loss(net(x), target));
    }
    std::vector<Array<double>> want;
    for (const auto& p : net.parameters()) want.push_back(p.grad().value());
    net.zero_grad();
    nn::manual_seed(21);
    nn::DataParallelOptions o;
    o.workers = 2;
    o.split = nn::Split::batch;
    o.min_rows_per_worker = 1;
    o.min_work_per_worker = 0;
    nn::DataParallel<double> parallel(net, loss, o);
    parallel.backward(x, target);
    const auto params = net.parameters();
    for (std::size_t i = 0; i < params.size(); ++i)
        EXPECT_LT(relative_error(params[i].grad().value(), want[i]), 1e-13) << "#" << i;
}

}  // namespace
}  // namespace tg::test
