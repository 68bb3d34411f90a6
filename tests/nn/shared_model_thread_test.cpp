// One model trained by two threads at once: each step, each thread runs forward and
// tape.backward on its half of the batch (its own tape, the model's parameters shared),
// then the caller takes an SGD step. The parameters after 150 steps equal, bit for bit,
// those of one thread running the two halves one after the other.
//
// Two contributions a and b reach each grad(): a + b and b + a are the same double, so the
// result does not depend on which thread adds first, and any lost or mixed-up
// contribution shows.

#include "nn/nn_test_util.hpp"

#include <atomic>
#include <cstring>
#include <thread>

namespace tg::test {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr int kSteps = 40;
#else
constexpr int kSteps = 150;
#endif

struct Halves {
    Tensor<double> x[2], y[2];
};

Halves halves(const BlogData<double>& data, std::size_t n) {
    Halves h;
    for (int k = 0; k < 2; ++k) {
        Array<double> x = Array<double>::from_shape({n / 2, 1});
        Array<double> y = Array<double>::from_shape({n / 2, 1});
        for (std::size_t i = 0; i < n / 2; ++i) {
            x(i, 0) = data.x(k * n / 2 + i, 0);
            y(i, 0) = data.y(k * n / 2 + i, 0);
        }
        h.x[k] = Tensor<double>(std::move(x));
        h.y[k] = Tensor<double>(std::move(y));
    }
    return h;
}

std::vector<Array<double>> train(bool two_threads) {
    nn::Rng rng(5);
    nn::Sequential<double> net = blog_network<double>(rng);
    const Halves data = halves(blog_data<double>(512, rng), 512);
    optim::SGD<double> sgd(net.parameters(), 0.5);
    auto half_step = [&](int k) {
        Tape tape;
        tape.backward(nn::half_sse_per_example(net(data.x[k]), data.y[k]));
    };
    for (int step = 0; step < kSteps; ++step) {
        sgd.zero_grad();
        if (two_threads) {
            // A start line, so that the halves overlap rather than the thread's start-up.
            std::atomic<int> ready{0};
            auto start = [&ready] {
                ++ready;
                while (ready.load() < 2) std::this_thread::yield();
            };
            std::thread other([&] {
                start();
                half_step(1);
            });
            start();
            half_step(0);
            other.join();
        } else {
            half_step(0);
            half_step(1);
        }
        sgd.step();
    }
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.value());
    return out;
}

TEST(SharedModelThreadTest, TwoThreadsTrainingOneModelMatchOneThreadBitForBit) {
    const auto alone = train(false);
    nn::Rng rng(5);
    const auto initial = blog_network<double>(rng).parameters();
    ASSERT_EQ(alone.size(), initial.size());
    for (std::size_t i = 0; i < alone.size(); ++i)  // the training changed every parameter
        ASSERT_GT(relative_error(alone[i], initial[i].value()), 0.0) << "parameter #" << i;
    for (int run = 0; run < 3; ++run) {
        const auto threaded = train(true);
        for (std::size_t i = 0; i < alone.size(); ++i)
            EXPECT_EQ(std::memcmp(threaded[i].data(), alone[i].data(),
                                  alone[i].size() * sizeof(double)),
                      0)
                << "run " << run << ": parameter #" << i << " differs (max relative difference "
                << relative_error(threaded[i], alone[i]) << ")";
    }
}

}  // namespace
}  // namespace tg::test
