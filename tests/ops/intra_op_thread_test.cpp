// The kernels shared between the intra-op threads (tg::detail::parallel_for) give the same
// bits on two threads as on one: values, gradients and, where the op has them, second-order
// gradients (create_graph), in float and double, on inputs large enough to be split (the
// test checks that they were); and an AdamW step. docs/threads.md, "Threads inside one op".

#include "blas_threads_scope.hpp"

#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/optim/adam.hpp>
#include <tapegrad/tapegrad.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using tg::test::BlasThreads;

template <class T>
tg::Array<T> random_array(const tg::Shape& shape, unsigned seed, double lo = -3, double hi = 3) {
    std::mt19937_64 rng(seed);
    tg::Array<T> a = tg::Array<T>::from_shape(shape);
    for (T& e : a)
        e = static_cast<T>(lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53);
    return a;
}

/// Bit-for-bit equality of two lists of arrays.
template <class T>
::testing::AssertionResult same_bits(const std::vector<tg::Array<T>>& a,
                                     const std::vector<tg::Array<T>>& b) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << "different counts";
    for (std::size_t k = 0; k < a.size(); ++k) {
        if (a[k].shape() != b[k].shape())
            return ::testing::AssertionFailure() << "result " << k << ": other shapes";
        for (std::size_t i = 0; i < a[k].size(); ++i)
            if (std::memcmp(a[k].data() + i, b[k].data() + i, sizeof(T)) != 0)
                return ::testing::AssertionFailure()
                       << "result " << k << ", element " << i << ": " << a[k].data()[i]
                       << " (one thread) and " << b[k].data()[i] << " (two)";
    }
    return ::testing::AssertionSuccess();
}

/// f(inputs) on `threads` intra-op threads: its value, the gradients of Σ y ⊙ r with respect
/// to the inputs and, with `second_order`, the gradients of Σ_k Σ (those gradients ⊙ r_k)
/// with respect to the inputs (the sweep that records them is shared too).
template <class T>
std::vector<tg::Array<T>> run(
    int threads, const std::vector<tg::Array<T>>& values,
    const std::function<tg::Tensor<T>(const std::vector<tg::Tensor<T>>&)>& f, bool second_order) {
    BlasThreads count(threads);
    tg::Tape tape;
    std::vector<tg::Tensor<T>> inputs;
    for (const tg::Array<T>& v : values) inputs.push_back(tg::parameter<T>(v));
    const tg::Tensor<T> y = f(inputs);
    const tg::Tensor<T> r(random_array<T>(y.shape(), 99));
    tg::BackwardOptions options;
    options.create_graph = second_order;
    const std::vector<tg::Tensor<T>> grads = tape.gradient(tg::sum(y * r), inputs, options);
    std::vector<tg::Array<T>> out{y.value()};
    for (const tg::Tensor<T>& g : grads) out.push_back(g.value());
    if (second_order) {
        tg::Tensor<T> total =
            tg::sum(grads[0] * tg::Tensor<T>(random_array<T>(grads[0].shape(), 7)));
        for (std::size_t k = 1; k < grads.size(); ++k)
            total =
                total + tg::sum(grads[k] * tg::Tensor<T>(random_array<T>(grads[k].shape(), 7 + k)));
        for (const tg::Tensor<T>& g : tape.gradient(total, inputs)) out.push_back(g.value());
    }
    return out;
}

/// One thread against two: the same bits, and the two-thread run did split loops.
template <class T>
void expect_same_on_two_threads(
    const std::vector<tg::Array<T>>& values,
    const std::function<tg::Tensor<T>(const std::vector<tg::Tensor<T>>&)>& f, bool second_order) {
    const std::vector<tg::Array<T>> one = run<T>(1, values, f, second_order);
    const std::size_t loops = tg::detail::parallel_loops();
    const std::vector<tg::Array<T>> two = run<T>(2, values, f, second_order);
    EXPECT_GT(tg::detail::parallel_loops(), loops) << "nothing was split between threads";
    EXPECT_TRUE(same_bits(one, two));
}

// Sizes: 3·2^16 + 37 elements (a tail that is not a whole SIMD batch); rows of 768.
constexpr std::size_t kRows = 261, kWidth = 768;

template <class T>
class IntraOpThreads : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(IntraOpThreads, Types);

TYPED_TEST(IntraOpThreads, GeluTanh) {
    using T = TypeParam;
    expect_same_on_two_threads<T>(
        {random_array<T>({3 * 65536 + 37}, 1)},
        [](const auto& in) { return tg::gelu(in[0], "tanh"); }, false);
    expect_same_on_two_threads<T>(
        {random_array<T>({3 * 65536 + 37}, 2)},
        [](const auto& in) { return tg::gelu(in[0], "tanh"); }, true);
}

TYPED_TEST(IntraOpThreads, UnaryOps) {  // the plain loop (relu) and the vectorized one (exp)
    using T = TypeParam;
    expect_same_on_two_threads<T>(
        {random_array<T>({3 * 65536 + 37}, 3)},
        [](const auto& in) { return tg::relu(in[0]) + tg::exp(in[0]) + tg::tanh(in[0]); }, true);
}

TYPED_TEST(IntraOpThreads, LayerNorm) {
    using T = TypeParam;
    const std::vector<tg::Array<T>> values{random_array<T>({kRows, kWidth}, 4),
                                           random_array<T>({kWidth}, 5),
                                           random_array<T>({kWidth}, 6)};
    const auto f = [](const auto& in) {
        return tg::layer_norm(in[0], tg::Shape{kWidth}, in[1], in[2], 1e-5);
    };
    expect_same_on_two_threads<T>(values, f, false);
    expect_same_on_two_threads<T>(values, f, true);
}

TYPED_TEST(IntraOpThreads, Softmax) {
    using T = TypeParam;
    expect_same_on_two_threads<T>(
        {random_array<T>({kRows, kWidth}, 7)},
        [](const auto& in) { return tg::softmax(in[0], -1); }, true);
    expect_same_on_two_threads<T>(
        {random_array<T>({kRows, 3, kWidth}, 8)},
        [](const auto& in) { return tg::log_softmax(in[0], 1); }, true);
}

TYPED_TEST(IntraOpThreads, BinaryOps) {
    using T = TypeParam;
    // Equal shapes, a bias row, and a one-element operand.
    const std::vector<tg::Array<T>> values{random_array<T>({kRows, kWidth}, 9),
                                           random_array<T>({kRows, kWidth}, 10),
                                           random_array<T>({kWidth}, 11), random_array<T>({1}, 12)};
    expect_same_on_two_threads<T>(
        values,
        [](const auto& in) {
            return (in[0] + in[1]) * in[0] - in[1] * in[2] + in[3] * in[0] + in[2] - in[3];
        },
        true);
}

TYPED_TEST(IntraOpThreads, CrossEntropy) {
    using T = TypeParam;
    const std::size_t n = 67, classes = 4099;
    tg::Array<T> labels = tg::Array<T>::from_shape({n});
    for (std::size_t r = 0; r < n; ++r) labels(r) = static_cast<T>((r * 977) % classes);
    for (const tg::nn::Reduction reduction : {tg::nn::Reduction::mean, tg::nn::Reduction::none}) {
        const auto f = [&](const auto& in) {
            tg::nn::CrossEntropyOptions<T> options;
            options.reduction = reduction;
            return tg::nn::cross_entropy(in[0], tg::Tensor<T>(labels), options);
        };
        expect_same_on_two_threads<T>({random_array<T>({n, classes}, 13)}, f, false);
        expect_same_on_two_threads<T>({random_array<T>({n, classes}, 14)}, f, true);
    }
}

// Blocks of one head of one item, shared between the threads when their products are below
// OpenBLAS's threading threshold: GPT-2's heads (T = 64, d = 64), causal and with a float
// mask; the second-order sweep takes the recorded composite, which has no blocks.
TYPED_TEST(IntraOpThreads, AttentionHeads) {
    using T = TypeParam;
    const std::size_t n = 4, t = 64, heads = 12, d = 64;
    const std::vector<tg::Array<T>> values{random_array<T>({n, t, heads * d}, 15, -1, 1),
                                           random_array<T>({n, t, heads * d}, 16, -1, 1),
                                           random_array<T>({n, t, heads * d}, 17, -1, 1)};
    std::size_t attention_loops = 0;  // loops the attention forward itself split
    expect_same_on_two_threads<T>(
        values,
        [&](const auto& in) {
            const std::size_t before = tg::detail::parallel_loops();
            tg::Tensor<T> y =
                tg::scaled_dot_product_attention_heads(in[0], in[1], in[2], heads, {}, true);
            attention_loops += tg::detail::parallel_loops() - before;
            return y;
        },
        false);
    EXPECT_GT(attention_loops, 0u);
    const tg::Tensor<T> mask(random_array<T>({t, t}, 18));
    expect_same_on_two_threads<T>(
        values,
        [&](const auto& in) {
            return tg::scaled_dot_product_attention_heads(in[0], in[1], in[2], heads, mask);
        },
        false);
}

/// Parameters after three AdamW steps (weight decay on), the steps on `threads` threads
/// (the gradients on one); `split` tells whether the steps split a loop.
template <class T>
std::vector<tg::Array<T>> adamw_steps(int threads, bool amsgrad, bool& split) {
    BlasThreads one(1);
    std::vector<tg::Tensor<T>> params{tg::parameter<T>(random_array<T>({3 * 65536 + 37}, 15)),
                                      tg::parameter<T>(random_array<T>({kWidth}, 16))};
    tg::optim::AdamWOptions options;
    options.weight_decay = 0.1;
    options.amsgrad = amsgrad;
    tg::optim::AdamW<T> optimizer(params, T(1e-2), options);
    const tg::Tensor<T> r(random_array<T>({3 * 65536 + 37}, 17));
    tg::Tape tape;
    split = true;
    for (int step = 0; step < 3; ++step) {
        optimizer.zero_grad();
        (tg::sum(tg::square(params[0]) * r) + tg::sum(params[1] * params[1])).backward();
        BlasThreads count(threads);
        const std::size_t loops = tg::detail::parallel_loops();
        optimizer.step();
        split = split && tg::detail::parallel_loops() > loops;
    }
    return {params[0].value(), params[1].value()};
}

TYPED_TEST(IntraOpThreads, AdamWStep) {
    using T = TypeParam;
    for (const bool amsgrad : {false, true}) {
        bool split_one = false, split_two = false;
        const std::vector<tg::Array<T>> one = adamw_steps<T>(1, amsgrad, split_one);
        const std::vector<tg::Array<T>> two = adamw_steps<T>(2, amsgrad, split_two);
        EXPECT_FALSE(split_one);
        EXPECT_TRUE(split_two) << "the two-thread steps split nothing";
        EXPECT_TRUE(same_bits(one, two)) << "amsgrad " << amsgrad;
    }
}

}  // namespace
