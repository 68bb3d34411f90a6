// Inside a DataParallel worker the threads inside one op stay off: a loop that two
// intra-op threads would share runs as one call on the worker (tg::detail::parallel_for;
// docs/threads.md, "Threads inside one op").

#include "blas_threads_scope.hpp"
#include "nn/nn_test_util.hpp"

#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/nn/data_parallel.hpp>

#include <atomic>
#include <mutex>
#include <vector>

namespace tg::test {
namespace {

/// The number of calls parallel_for makes for a loop that splits on two threads.
std::size_t calls_of_a_large_loop() {
    std::atomic<std::size_t> calls{0};
    detail::parallel_for(8 * detail::kMinElementsPerThread, detail::kMinElementsPerThread,
                         [&](std::size_t, std::size_t) { ++calls; });
    return calls.load();
}

TEST(IntraOpThreads, SerialInsideADataParallelWorker) {
    BlasThreads two(2);
    EXPECT_GT(calls_of_a_large_loop(), 1u);  // outside a worker it splits
    nn::Rng rng(3);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(256, rng);
    const Tensor<double> x(data.x), y(data.y);
    std::mutex mutex;
    std::vector<std::size_t> calls;  // one entry per worker's loss
    const nn::DataParallel<double>::LossFn loss = [&](const Tensor<double>& p,
                                                      const Tensor<double>& t) {
        const std::size_t n = calls_of_a_large_loop();
        std::lock_guard<std::mutex> lock(mutex);
        calls.push_back(n);
        return nn::half_sse_per_example(p, t);
    };
    nn::DataParallelOptions options;
    options.workers = 2;
    options.split = nn::Split::batch;
    options.min_rows_per_worker = 16;
    options.min_work_per_worker = 0;
    nn::DataParallel<double> parallel(net, loss, options);
    ASSERT_EQ(parallel.workers_for(256), 2u);
    parallel.backward(x, y);
    EXPECT_EQ(calls, (std::vector<std::size_t>{1, 1}));
}

}  // namespace
}  // namespace tg::test
