// DataParallel's automatic split (Split::automatic): the work counted from the first
// step's tape, the cost model's choices, and the Split::blas mode.

#include "nn/nn_test_util.hpp"

#include <tapegrad/detail/work_count.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/nn/detail/split_plan.hpp>
#include <tapegrad/threads.hpp>

namespace tg::test {
namespace {

using detail::WorkCount;

TEST(WorkCount, CountsProductsAndElementsFromTheTape) {
    Tape tape;
    const Tensor<double> x = parameter<double>(xt::ones<double>({8, 4}));
    const Tensor<double> w(xt::ones<double>({4, 3}));
    const Tensor<double> h = sigmoid(matmul(x, w));  // (8, 4)(4, 3): 96 multiply-adds
    const Tensor<double> a = reshape(h, {2, 4, 3});
    const Tensor<double> b(xt::ones<double>({2, 3, 5}));
    const Tensor<double> out = matmul(a, b);  // two (4 × 3)(3 × 5) products: 120
    const WorkCount work = detail::count_work(tape);
    EXPECT_EQ(work.entries, 4u);
    EXPECT_DOUBLE_EQ(work.gemm_mads, 96 + 120);
    EXPECT_DOUBLE_EQ(work.threaded_gemm_mads, 0);  // every product small
    EXPECT_DOUBLE_EQ(work.threaded_gemm_calls, 0);
    // sigmoid reads and writes 24 elements; reshape reads and writes 24.
    EXPECT_DOUBLE_EQ(work.elements, 48 + 48);
    (void)out;
}

TEST(WorkCount, LargeProductsAreTheOnesOpenBlasThreads) {
    Tape tape;
    const Tensor<float> x = parameter<float>(xt::ones<float>({256, 768}));
    const Tensor<float> w(xt::ones<float>({768, 768}));
    const Tensor<float> y = matmul(x, w);
    const WorkCount work = detail::count_work(tape);
    EXPECT_DOUBLE_EQ(work.gemm_mads, 256.0 * 768 * 768);
    EXPECT_DOUBLE_EQ(work.threaded_gemm_mads, work.gemm_mads);
    EXPECT_DOUBLE_EQ(work.threaded_gemm_calls, 1);
    const WorkCount twice = work.scaled(2);
    EXPECT_DOUBLE_EQ(twice.gemm_mads, 2 * work.gemm_mads);
    EXPECT_EQ(twice.entries, work.entries);  // ops do not multiply with the rows
    (void)y;
}

TEST(SplitPlan, SmallWorkStaysOnOneThread) {
    WorkCount tiny;  // the blog network at N = 16: about 30k multiply-adds, 20 ops
    tiny.gemm_mads = 3e4;
    tiny.elements = 2e4;
    tiny.entries = 20;
    const nn::StepPlan plan = detail::plan_split(tiny, 16, 1937, 2, true);
    EXPECT_EQ(plan.workers, 1u);
    EXPECT_FALSE(plan.blas_threads);
}

TEST(SplitPlan, ManyRowsOfSmallProductsSplitTheBatch) {
    WorkCount work;  // a CNN-like step: much elementwise work, small products, few params
    work.gemm_mads = 2e8;
    work.elements = 5e7;
    work.entries = 40;
    const nn::StepPlan plan = detail::plan_split(work, 256, 20000, 2, false);
    EXPECT_EQ(plan.workers, 2u);
    EXPECT_FALSE(plan.blas_threads);
}

TEST(SplitPlan, LargeProductsAndManyParametersUseBlasThreads) {
    WorkCount work;  // GPT-2 124M at B = 4, T = 64: 32 G multiply-adds in large GEMMs
    work.gemm_mads = 3.2e10;
    work.threaded_gemm_mads = 3.1e10;
    work.threaded_gemm_calls = 60;
    work.elements = 3e8;
    work.entries = 400;
    const nn::StepPlan plan = detail::plan_split(work, 4, 124000000, 2, false);
    EXPECT_EQ(plan.workers, 2u);
    EXPECT_TRUE(plan.blas_threads);
    const detail::StepCost cost = detail::step_cost(work, 124000000, 2, false);
    EXPECT_LT(cost.blas_threads, cost.batch_split);
    EXPECT_LT(cost.blas_threads, cost.one_thread);
}

TEST(SplitPlan, FewRowsThroughWideLayersUseBlasThreads) {
    WorkCount work;  // the wide 784-256-256-10 network at N = 64 (benchmark counters)
    work.gemm_mads = 1.72e7;
    work.threaded_gemm_mads = 1.70e7;  // 64·784·256 and 64·256·256 >= 262,144
    work.threaded_gemm_calls = 2;
    work.elements = 6.7e4;
    work.entries = 6;
    const nn::StepPlan plan = detail::plan_split(work, 64, 269322, 2, false);
    // Measured: two OpenBLAS threads 0.58x one thread, the batch split 1.11x.
    EXPECT_EQ(plan.workers, 2u);
    EXPECT_TRUE(plan.blas_threads);
}

TEST(SplitPlan, OneThreadAvailableMeansOneThread) {
    WorkCount work;
    work.gemm_mads = 3.2e10;
    work.threaded_gemm_mads = 3.2e10;
    EXPECT_EQ(detail::plan_split(work, 4, 1000, 1, false).workers, 1u);
}

/// The gradient of one thread's step of `net` on (x, y), then the net's grads reset.
std::vector<Array<double>> one_thread_grads(nn::Sequential<double>& net, const Tensor<double>& x,
                                            const Tensor<double>& y) {
    {
        Tape tape;
        tape.backward(nn::half_sse_per_example(net(x), y));
    }
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.grad().value());
    net.zero_grad();
    return out;
}

TEST(DataParallelSplit, AutomaticCountsTheFirstStepAndGivesOneThreadsGradient) {
    nn::Rng rng(21);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(64, rng);
    const Tensor<double> x(data.x), y(data.y);
    const auto want = one_thread_grads(net, x, y);
    nn::DataParallelOptions o;
    o.workers = 2;
    nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, o);
    EXPECT_EQ(parallel.counted_rows(), 0u);
    EXPECT_EQ(parallel.plan(64).workers, 1u);  // nothing counted yet: one thread
    for (int step = 0; step < 3; ++step) {
        parallel.backward(x, y);
        std::size_t i = 0;
        for (const auto& p : net.parameters())
            EXPECT_LT(relative_error(p.grad().value(), want[i++]), 1e-12) << "step " << step;
        net.zero_grad();
    }
    EXPECT_EQ(parallel.counted_rows(), 64u);
    // Five Dense layers (linear), their activations and the loss.
    EXPECT_EQ(parallel.counted_work().entries, 11u);
    EXPECT_DOUBLE_EQ(parallel.counted_work().gemm_mads, 64.0 * (32 + 32 * 32 + 32 * 16 + 16 * 16 + 16));
    // 64 rows of a 1,937-parameter network: too little to gain from a second thread.
    EXPECT_EQ(parallel.plan(64).workers, 1u);
}

TEST(DataParallelSplit, BlasThreadsGiveOneThreadsGradientAndRestoreTheCount) {
    nn::Rng rng(22);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(40, rng);
    const Tensor<double> x(data.x), y(data.y);
    const auto want = one_thread_grads(net, x, y);
    nn::DataParallelOptions o;
    o.workers = 2;
    o.split = nn::Split::blas;
    nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, o);
    EXPECT_TRUE(parallel.plan(40).blas_threads);
    EXPECT_EQ(parallel.workers_for(40), 1u);  // one worker: OpenBLAS has the threads
    const int before = blas_threads();
    parallel.backward(x, y);
    EXPECT_EQ(blas_threads(), before);
    std::size_t i = 0;
    for (const auto& p : net.parameters())
        EXPECT_LT(relative_error(p.grad().value(), want[i++]), 1e-12);
}

TEST(DataParallelSplit, OneWorkersStepIsOneThreadsStep) {
    // A step on one worker is forward and tape.backward: the parameters' gradients are
    // one thread's bit for bit, an input that requires a gradient gets one, and a second
    // step adds into both, as one thread's would.
    nn::Rng rng(23);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(8, rng);
    const Tensor<double> y(data.y);
    const Tensor<double> x_one = parameter<double>(data.x);
    const Tensor<double> x = parameter<double>(data.x);
    std::vector<Array<double>> want;
    {
        Tape tape;
        tape.backward(nn::half_sse_per_example(net(x_one), y));
    }
    for (const auto& p : net.parameters()) want.push_back(p.grad().value());
    net.zero_grad();
    nn::DataParallelOptions o;
    o.workers = 1;
    nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, o);
    for (int step = 1; step <= 2; ++step) {
        parallel.backward(x, y);
        std::size_t i = 0;
        for (const auto& p : net.parameters())
            EXPECT_EQ(p.grad().value(), Array<double>(want[i++] * double(step)));
        ASSERT_TRUE(x.has_grad());
        EXPECT_EQ(x.grad().value(), Array<double>(x_one.grad().value() * double(step)));
    }
}

}  // namespace
}  // namespace tg::test
