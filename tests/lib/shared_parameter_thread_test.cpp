// Threads that share parameters, each recording on its own tape, get the gradients one
// thread would get: tape.gradient bit for bit, tape.backward summing every contribution
// into the shared grad().
//
// Why: the data-parallel pattern is one model and a tape per worker thread. A sweep that
// kept its scratch state in the shared parameter (as tapegrad did before issue 12) mixes
// the threads' gradients silently: between 1,214 and 1,948 of 4,000 were wrong.

#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using tg::Array;
using tg::Tensor;

constexpr int kThreads = 4;
#if defined(__SANITIZE_THREAD__)
constexpr int kCallsPerThread = 300;  // ThreadSanitizer makes each call ~10x slower
#else
constexpr int kCallsPerThread = 2000;
#endif

/// A small network whose parameters every thread shares. W1 is used twice in one graph,
/// so a sweep adds two contributions into one leaf.
struct SharedModel {
    Tensor<double> w1, b1, w2, b2;

    SharedModel() {
        Array<double> v1({5, 3}), v2({1, 5});
        for (std::size_t i = 0; i < v1.size(); ++i) v1.data()[i] = 0.1 * double(i % 7) - 0.3;
        for (std::size_t i = 0; i < v2.size(); ++i) v2.data()[i] = 0.2 * double(i) - 0.4;
        w1 = tg::parameter<double>(v1);
        b1 = tg::parameter<double>(Array<double>({5}, 0.05));
        w2 = tg::parameter<double>(v2);
        b2 = tg::parameter<double>(Array<double>({1}, -0.1));
    }

    Tensor<double> loss(const Tensor<double>& x) const {
        const Tensor<double> h = tg::sigmoid(tg::linear(x, w1, b1));
        const Tensor<double> again = tg::tanh(tg::linear(x, w1, b1));  // w1 reached twice
        const Tensor<double> out = tg::tanh(tg::linear(h * again, w2, b2));
        return tg::sum(out * out);
    }
    std::vector<Tensor<double>> parameters() const { return {w1, b1, w2, b2}; }
};

/// Inputs that differ per thread and per call, so mixed-up gradients differ too.
Tensor<double> input(int thread, int call) {
    Array<double> x({4, 3});
    for (std::size_t i = 0; i < x.size(); ++i)
        x.data()[i] = 0.3 * double(thread + 1) - 0.07 * double((call % 5) * 3 + int(i));
    return Tensor<double>(std::move(x));
}

bool same_bits(const Tensor<double>& a, const Tensor<double>& b) {
    return a.size() == b.size() &&
           std::memcmp(a.value().data(), b.value().data(), a.size() * sizeof(double)) == 0;
}

/// Runs f(t) on kThreads threads at once (released together) and joins them.
template <class F>
void on_threads(int n, F f) {
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < n; ++t)
        threads.emplace_back([&, t] {
            while (!go.load()) std::this_thread::yield();
            f(t);
        });
    go = true;
    for (auto& th : threads) th.join();
}

TEST(SharedParameterThreadTest, GradientThroughSharedParametersEqualsOneThreadBitForBit) {
    const SharedModel model;
    // The one-thread answers, for the 5 distinct inputs of each thread.
    std::vector<std::vector<std::vector<Tensor<double>>>> expected(kThreads);
    for (int t = 0; t < kThreads; ++t)
        for (int c = 0; c < 5; ++c) {
            tg::Tape tape;
            expected[t].push_back(tape.gradient(model.loss(input(t, c)), model.parameters()));
        }
    std::atomic<int> wrong{0}, calls{0};
    on_threads(kThreads, [&](int t) {
        tg::Tape tape;
        for (int c = 0; c < kCallsPerThread; ++c) {
            // Alternate all parameters and a subset, so target marking is exercised too.
            const bool subset = c % 3 == 2;
            const std::vector<Tensor<double>> xs =
                subset ? std::vector<Tensor<double>>{model.b2, model.w1} : model.parameters();
            const auto grads = tape.gradient(model.loss(input(t, c)), xs);
            const auto& want = expected[t][c % 5];
            const bool ok = subset ? same_bits(grads[0], want[3]) && same_bits(grads[1], want[0])
                                   : same_bits(grads[0], want[0]) && same_bits(grads[1], want[1]) &&
                                         same_bits(grads[2], want[2]) &&
                                         same_bits(grads[3], want[3]);
            if (!ok) ++wrong;
            ++calls;
        }
    });
    EXPECT_EQ(calls.load(), kThreads * kCallsPerThread);
    EXPECT_EQ(wrong.load(), 0) << "of " << kThreads * kCallsPerThread
                               << " tape.gradient calls through shared parameters";
    for (const auto& p : model.parameters()) EXPECT_FALSE(p.has_grad());
}

TEST(SharedParameterThreadTest, ConcurrentBackwardSumsEveryContribution) {
    // loss_t = sum(w * c_t) gives d loss_t / d w = c_t. Small integers add exactly in any
    // order, so the sum of every thread's every backward is known to the last bit.
    auto w = tg::parameter<double>(Array<double>({64}, 1.0));
    const int calls = kCallsPerThread / 2;
    on_threads(kThreads, [&](int t) {
        const Tensor<double> c(Array<double>({64}, double(t + 1)));
        tg::Tape tape;
        for (int i = 0; i < calls; ++i) {
            tape.backward(tg::sum(w * c));
            if (i % 50 == 0) (void)w.has_grad();  // readers race the writers too
        }
    });
    double want = 0;
    for (int t = 0; t < kThreads; ++t) want += double(calls) * double(t + 1);
    ASSERT_TRUE(w.has_grad());
    int wrong = 0;
    for (double g : w.grad().value()) wrong += g != want;
    EXPECT_EQ(wrong, 0) << "of 64 elements of grad() differ from " << want;
}

TEST(SharedParameterThreadTest, ConcurrentBackwardFromZeroGradAndFromNoGrad) {
    // The first backward hands its gradient over to grad(); several threads racing to be
    // first must still add up. Repeated from reset_grad() (no gradient) and zero_grad().
    auto w = tg::parameter<double>(Array<double>({16}, 2.0));
    for (int round = 0; round < 40; ++round) {
        if (round % 2) w.zero_grad(); else w.reset_grad();
        on_threads(kThreads, [&](int t) {
            tg::Tape tape;
            const Tensor<double> c(Array<double>({16}, double(t + 1)));
            tape.backward(tg::sum(w * c));
        });
        for (double g : w.grad().value())
            ASSERT_EQ(g, 10.0) << "round " << round << ": 1 + 2 + 3 + 4 expected";
    }
}

}  // namespace
