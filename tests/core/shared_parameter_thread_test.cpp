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

Array<double> filled(const tg::Shape& shape, double value);

/// A small network whose parameters every thread shares. W1 is used twice in one graph,
/// so a sweep adds two contributions into one leaf.
struct SharedModel {
    Tensor<double> w1, b1, w2, b2;

    SharedModel() {
        Array<double> v1 = filled({5, 3}, 0), v2 = filled({1, 5}, 0);
        for (std::size_t i = 0; i < v1.size(); ++i) v1.data()[i] = 0.1 * double(i % 7) - 0.3;
        for (std::size_t i = 0; i < v2.size(); ++i) v2.data()[i] = 0.2 * double(i) - 0.4;
        w1 = tg::parameter<double>(v1);
        b1 = tg::parameter<double>(filled({5}, 0.05));
        w2 = tg::parameter<double>(v2);
        b2 = tg::parameter<double>(filled({1}, -0.1));
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
    Array<double> x = filled({4, 3}, 0);
    for (std::size_t i = 0; i < x.size(); ++i)
        x.data()[i] = 0.3 * double(thread + 1) - 0.07 * double((call % 5) * 3 + int(i));
    return Tensor<double>(std::move(x));
}

Array<double> filled(const tg::Shape& shape, double value) {
    Array<double> a = Array<double>::from_shape(shape);
    a.fill(value);
    return a;
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

/// A thread's own leaves for loss_through.
std::vector<Tensor<double>> own_leaves(std::size_t n) {
    std::vector<Tensor<double>> vs;
    for (int k = 0; k < 6; ++k) vs.push_back(tg::parameter<double>(filled({n}, 0.1 * k)));
    return vs;
}

/// sum(tanh(tanh(v))) over the thread's own leaves, plus sum(w * c): d / d w = c. w's
/// product is recorded last, so the sweep reaches w first and then spends the backward of
/// the vs with w's partial sum collected; at the end w's sum is added first and the vs'
/// after it. A sweep that kept its partial sums in the shared node lost other threads'
/// contributions in those windows.
Tensor<double> loss_through(const Tensor<double>& w, const Tensor<double>& c,
                            const std::vector<Tensor<double>>& vs) {
    Tensor<double> h = tg::sum(tg::tanh(tg::tanh(vs[0])));
    for (std::size_t k = 1; k < vs.size(); ++k) h = h + tg::sum(tg::tanh(tg::tanh(vs[k])));
    return h + tg::sum(w * c);
}

TEST(SharedParameterThreadTest, ConcurrentBackwardSumsEveryContribution) {
    // d loss / d w = c_t on thread t. Small integers add exactly in any order, so the sum
    // of every thread's every backward is known to the last bit.
    auto w = tg::parameter<double>(filled({4096}, 1.0));
    const int calls = kCallsPerThread / 2;
    on_threads(kThreads, [&](int t) {
        const Tensor<double> c(filled({4096}, double(t + 1)));
        const auto vs = own_leaves(w.size());
        tg::Tape tape;
        for (int i = 0; i < calls; ++i) {
            tape.backward(loss_through(w, c, vs));
            if (i % 50 == 0) (void)w.has_grad();  // readers race the writers too
        }
    });
    double want = 0;
    for (int t = 0; t < kThreads; ++t) want += double(calls) * double(t + 1);
    ASSERT_TRUE(w.has_grad());
    int wrong = 0;
    for (double g : w.grad().value()) wrong += g != want;
    EXPECT_EQ(wrong, 0) << "of 4096 elements of grad() differ from " << want;
}

TEST(SharedParameterThreadTest, ConcurrentBackwardFromZeroGradAndFromNoGrad) {
    // The first backward hands its gradient over to grad(); several threads racing to be
    // first must still add up. Repeated from reset_grad() (no gradient) and zero_grad().
    auto w = tg::parameter<double>(filled({4096}, 2.0));
    for (int round = 0; round < 100; ++round) {
        if (round % 2) w.zero_grad(); else w.reset_grad();
        on_threads(kThreads, [&](int t) {
            const Tensor<double> c(filled({4096}, double(t + 1)));
            const auto vs = own_leaves(4096);
            tg::Tape tape;
            tape.backward(loss_through(w, c, vs));
        });
        for (double g : w.grad().value())
            ASSERT_EQ(g, 10.0) << "round " << round << ": 1 + 2 + 3 + 4 expected";
    }
}

}  // namespace
