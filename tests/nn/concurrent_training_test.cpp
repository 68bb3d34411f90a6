// Two threads training at the same time, each on its own tg::Tape, give bit for bit the
// parameters and losses of the same two trainings run one after the other.
//
// Everything a step touches that is per thread (the active tape, grad mode, the buffer
// pool) must stay per thread, and everything shared (the tape epoch counter, OpenBLAS)
// must not leak from one training into the other. (tests/core/tape_thread_test.cpp
// covers the other half: a tape used from a thread that does not own it raises.)

#include "nn/nn_test_util.hpp"

#include <atomic>
#include <cstring>
#include <thread>

namespace tg::test {
namespace {

/// What one training run produced: every parameter and the loss of every step.
struct TrainingResult {
    std::vector<Array<double>> parameters;
    std::vector<double> losses;
    std::vector<double> test_rmse;  ///< evaluated under NoGradGuard every 50 steps
};

/// Trains the blog network on minibatches of 16, as a user would: one tape for the
/// whole loop, a NoGradGuard evaluation now and then. `adam` picks the optimizer.
/// `go` (when given) is a start line: the run spins until it is set, so that two runs
/// started on two threads overlap for their whole length.
TrainingResult train_blog(std::uint64_t seed, bool adam, int steps,
                          const std::atomic<bool>* go = nullptr) {
    nn::Rng rng(seed);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> train = blog_data<double>(256, rng);
    const BlogData<double> test = blog_data<double>(64, rng);
    nn::DataLoader<double> batches(Tensor<double>(train.x), Tensor<double>(train.y), 16,
                                   nn::DataLoaderOptions{true, false, seed});
    std::unique_ptr<optim::Optimizer<double>> opt;
    if (adam)
        opt = std::make_unique<optim::Adam<double>>(net.parameters(), 1e-2);
    else
        opt = std::make_unique<optim::SGD<double>>(net.parameters(), 0.5,
                                                   optim::SGDOptions{0.9, 1e-4, false});
    const Tensor<double> test_x(test.x), test_y(test.y);

    while (go && !go->load()) std::this_thread::yield();

    TrainingResult result;
    Tape tape;
    int step = 0;
    while (step < steps) {
        for (const nn::Batch<double>& b : batches) {
            if (step == steps) break;
            opt->zero_grad();
            Tensor<double> loss = nn::half_sse_per_example(net(b.x), b.y);
            tape.backward(loss);
            opt->step();
            result.losses.push_back(loss.item());
            if (++step % 50 == 0) {
                NoGradGuard no_grad;
                result.test_rmse.push_back(nn::rmse(net(test_x), test_y).item());
                EXPECT_EQ(tape.size(), 0u);  // the evaluation recorded nothing
            }
        }
    }
    for (const auto& p : net.parameters()) result.parameters.push_back(p.value());
    return result;
}

/// Bit-for-bit equality (memcmp, so that NaNs and signed zeros count too).
template <class V>
bool same_bits(const V& a, const V& b) {
    return a.size() == b.size() &&
           std::memcmp(a.data(), b.data(), a.size() * sizeof(*a.data())) == 0;
}

void expect_identical(const TrainingResult& concurrent, const TrainingResult& sequential,
                      const char* which) {
    ASSERT_EQ(concurrent.parameters.size(), sequential.parameters.size()) << which;
    for (std::size_t i = 0; i < sequential.parameters.size(); ++i)
        EXPECT_TRUE(same_bits(concurrent.parameters[i], sequential.parameters[i]))
            << which << ": parameter #" << i << " differs (max relative difference "
            << relative_error(concurrent.parameters[i], sequential.parameters[i]) << ")";
    EXPECT_TRUE(same_bits(concurrent.losses, sequential.losses)) << which << ": step losses differ";
    EXPECT_TRUE(same_bits(concurrent.test_rmse, sequential.test_rmse))
        << which << ": test RMSE differs";
}

constexpr int kSteps = 300;

TEST(ConcurrentTraining, TwoThreadsMatchSequentialRunsBitForBit) {
    const TrainingResult sgd_alone = train_blog(11, /*adam=*/false, kSteps);
    const TrainingResult adam_alone = train_blog(22, /*adam=*/true, kSteps);
    // The runs change the model at every step (so that a run that does nothing cannot
    // pass), and they are different runs (so that a mix-up between threads would show).
    ASSERT_EQ(sgd_alone.losses.size(), static_cast<std::size_t>(kSteps));
    for (const TrainingResult* r : {&sgd_alone, &adam_alone}) {
        nn::Rng rng(r == &sgd_alone ? 11 : 22);
        const auto initial = blog_network<double>(rng).parameters();
        for (std::size_t i = 0; i < initial.size(); ++i)
            EXPECT_GT(relative_error(r->parameters[i], initial[i].value()), 0.0)
                << "parameter #" << i;
        EXPECT_NE(r->test_rmse.front(), r->test_rmse.back());
    }
    EXPECT_FALSE(same_bits(sgd_alone.parameters[0], adam_alone.parameters[0]));

    std::atomic<bool> go{false};
    TrainingResult sgd_threaded, adam_threaded;
    std::thread a([&] { sgd_threaded = train_blog(11, false, kSteps, &go); });
    std::thread b([&] { adam_threaded = train_blog(22, true, kSteps, &go); });
    go = true;
    a.join();
    b.join();
    expect_identical(sgd_threaded, sgd_alone, "SGD run");
    expect_identical(adam_threaded, adam_alone, "Adam run");
    EXPECT_EQ(Tape::active(), nullptr);
}

TEST(ConcurrentTraining, SameRunOnTwoThreadsAndInAnAnomalyCheckedThread) {
    // The same seed on both threads; one of them checks every value for NaN/Inf, which
    // must change nothing in its results and nothing in the other thread's.
    const TrainingResult alone = train_blog(33, /*adam=*/true, kSteps);
    std::atomic<bool> go{false};
    TrainingResult plain, checked;
    std::thread a([&] { plain = train_blog(33, true, kSteps, &go); });
    std::thread b([&] {
        DetectAnomalyGuard anomaly;
        checked = train_blog(33, true, kSteps, &go);
    });
    go = true;
    a.join();
    b.join();
    expect_identical(plain, alone, "plain thread");
    expect_identical(checked, alone, "anomaly-checked thread");
    EXPECT_FALSE(is_anomaly_enabled());
}

}  // namespace
}  // namespace tg::test
