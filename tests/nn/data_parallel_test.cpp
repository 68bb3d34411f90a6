// tg::nn::DataParallel: the gradient of the whole batch from workers on their blocks of
// rows, reduced in a fixed order; worker errors; the thread policy; flat memory.

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"

#include <tapegrad/detail/pool.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/threads.hpp>

#include <cstring>
#include <fstream>

namespace tg::test {
namespace {

using Loss = nn::DataParallel<double>::LossFn;
const Loss kHalfSse = [](const Tensor<double>& p, const Tensor<double>& y) {
    return nn::half_sse_per_example(p, y);
};

nn::DataParallelOptions two_workers(std::size_t min_rows = 16) {
    nn::DataParallelOptions o;
    o.workers = 2;
    o.split = nn::Split::batch;
    o.min_rows_per_worker = min_rows;
    o.min_work_per_worker = 0;
    return o;
}

std::vector<Array<double>> grads_of(const nn::Module<double>& net) {
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.grad().value());
    return out;
}

TEST(DataParallel, GradientEqualsTheWholeBatchOnOneThread) {
    for (std::size_t workers : {2, 3, 4}) {
        nn::Rng rng(7);
        nn::Sequential<double> net = blog_network<double>(rng);
        const BlogData<double> data = blog_data<double>(301, rng);  // rows split unevenly
        const Tensor<double> x(data.x), y(data.y);
        Tape tape;
        const double whole = nn::half_sse_per_example(net(x), y).item();
        tape.backward(nn::half_sse_per_example(net(x), y));
        const auto want = grads_of(net);
        net.zero_grad();

        nn::DataParallelOptions o = two_workers();
        o.workers = workers;
        nn::DataParallel<double> parallel(net, kHalfSse, o);
        ASSERT_EQ(parallel.workers_for(301), workers);
        const double loss = parallel.backward(x, y);
        EXPECT_NEAR(loss, whole, 1e-12 * whole);
        const auto got = grads_of(net);
        for (std::size_t i = 0; i < want.size(); ++i)
            EXPECT_LT(relative_error(got[i], want[i]), 1e-12)
                << workers << " workers, parameter #" << i;
        // It adds into grad(), as backward does.
        parallel.backward(x, y);
        const auto twice = grads_of(net);
        for (std::size_t i = 0; i < want.size(); ++i)
            EXPECT_LT(relative_error(twice[i], Array<double>(2.0 * want[i])), 1e-12);
    }
}

std::vector<Array<double>> train_parallel(int steps) {
    nn::Rng rng(8);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(256, rng);
    const Tensor<double> x(data.x), y(data.y);
    optim::SGD<double> sgd(net.parameters(), 0.5);
    nn::DataParallel<double> parallel(net, kHalfSse, two_workers());
    for (int s = 0; s < steps; ++s) {
        sgd.zero_grad();
        parallel.backward(x, y);
        sgd.step();
    }
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.value());
    return out;
}

TEST(DataParallel, RunsAreBitIdentical) {
    const auto first = train_parallel(60);
    nn::Rng rng(8);
    const auto initial = blog_network<double>(rng).parameters();
    for (int run = 0; run < 2; ++run) {
        const auto again = train_parallel(60);
        for (std::size_t i = 0; i < first.size(); ++i) {
            ASSERT_GT(relative_error(first[i], initial[i].value()), 0.0);
            EXPECT_EQ(std::memcmp(first[i].data(), again[i].data(), first[i].size() * 8), 0)
                << "run " << run << ", parameter #" << i;
        }
    }
}

TEST(DataParallel, WorkerErrorNamesTheWorkerAndThePoolStaysUsable) {
    nn::Rng rng(9);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(64, rng);
    Array<double> bad_y = data.y;
    bad_y(32, 0) = 99.0;  // the first row of worker 1's block
    const Loss picky = [](const Tensor<double>& p, const Tensor<double>& y) {
        if (y.value()(0, 0) == 99.0) throw ValueError("this target is out of range");
        return nn::half_sse_per_example(p, y);
    };
    nn::DataParallel<double> parallel(net, picky, two_workers());
    try {
        parallel.backward(Tensor<double>(data.x), Tensor<double>(bad_y));
        FAIL() << "expected a WorkerError";
    } catch (const nn::WorkerError& e) {
        EXPECT_EQ(e.worker(), 1u);
        const std::string what = e.what();
        EXPECT_NE(what.find("worker 1 of 2"), std::string::npos) << what;
        EXPECT_NE(what.find("this target is out of range"), std::string::npos) << what;
    }
    for (const auto& p : net.parameters()) EXPECT_FALSE(p.has_grad());
    // The same object, the same workers, a good batch: works.
    EXPECT_GT(parallel.backward(Tensor<double>(data.x), Tensor<double>(data.y)), 0.0);
    for (const auto& p : net.parameters()) EXPECT_TRUE(p.has_grad());
}

TEST(DataParallel, SmallBatchesRunOnTheCallingThreadAlone) {
    nn::Rng rng(10);
    nn::Sequential<double> net = blog_network<double>(rng);
    nn::DataParallel<double> parallel(net, kHalfSse, two_workers(128));
    EXPECT_EQ(parallel.workers_for(1), 1u);
    EXPECT_EQ(parallel.workers_for(255), 1u);
    EXPECT_EQ(parallel.workers_for(256), 2u);
    EXPECT_EQ(parallel.workers_for(100000), 2u);
    // By default a worker also needs rows × parameters >= 500,000: the blog network has
    // 1,937 parameters, so 258 rows per worker.
    nn::DataParallelOptions defaults;
    defaults.workers = 2;
    defaults.split = nn::Split::batch;
    nn::DataParallel<double> by_work(net, kHalfSse, defaults);
    EXPECT_EQ(by_work.workers_for(515), 1u);
    EXPECT_EQ(by_work.workers_for(516), 2u);
    const BlogData<double> data = blog_data<double>(8, rng);
    const Tensor<double> x(data.x), y(data.y);
    // What a plain step gives, bit for bit: into an empty grad() (the gradient is handed
    // over) and added into an existing one.
    Tape tape;
    tape.backward(nn::half_sse_per_example(net(x), y));
    const auto want = grads_of(net);
    tape.backward(nn::half_sse_per_example(net(x), y));
    const auto want_twice = grads_of(net);
    net.zero_grad();
    EXPECT_GT(parallel.backward(x, y), 0.0);
    EXPECT_EQ(grads_of(net), want);
    parallel.backward(x, y);
    EXPECT_EQ(grads_of(net), want_twice);
    expect_message<ShapeError>(
        [&] {
            parallel.backward(Tensor<double>(data.x),
                              Tensor<double>(Array<double>::from_shape({7, 1})));
        },
        {"DataParallel::backward: x of shape (8, 1) and y of shape (7, 1) need the same number "
         "of rows"});
}

TEST(DataParallel, AnEmptyLossFunctionIsRefused) {
    nn::Rng rng(10);
    nn::Sequential<double> net = blog_network<double>(rng);
    expect_message<ValueError>([&] { nn::DataParallel<double> parallel(net, Loss()); },
                               {"DataParallel: the loss function is empty; pass one, e.g. "
                                "tg::nn::half_sse_per_example<double>"});
}

TEST(ThreadPolicy, SetNumThreadsGovernsTheWorkers) {
    expect_message<ValueError>([] { set_num_threads(0); },
                               {"set_num_threads(0): the number of threads must be at least 1"});
    expect_message<ValueError>([] { set_blas_threads(-2); },
                               {"set_blas_threads(-2): the number of threads must be at least 1"});
    nn::Rng rng(11);
    nn::Sequential<double> net = blog_network<double>(rng);
    nn::DataParallelOptions o;  // workers = 0: tg::num_threads()
    o.split = nn::Split::batch;
    o.min_rows_per_worker = 1;
    o.min_work_per_worker = 0;
    nn::DataParallel<double> parallel(net, kHalfSse, o);
    const int before = num_threads();
    set_num_threads(3);
    EXPECT_EQ(num_threads(), 3);
    EXPECT_EQ(parallel.workers_for(1000), 3u);
    set_num_threads(1);
    EXPECT_EQ(parallel.workers_for(1000), 1u);
    set_num_threads(before);
    const int blas = blas_threads();
    set_blas_threads(1);
    EXPECT_EQ(blas_threads(), 1);
    set_blas_threads(blas);
}

TEST(DataParallel, TenThousandStepsKeepMemoryFlat) {
#ifdef TG_TEST_UNDER_ASAN
    constexpr int kSteps = 1000;  // ASan's quarantine grows the resident set by design
    constexpr bool kCheckResidentSet = false;
#else
    constexpr int kSteps = 10000;
    constexpr bool kCheckResidentSet = true;
#endif
    constexpr int kWarmup = 500;
    nn::Rng rng(12);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(64, rng);
    const Tensor<double> x(data.x), y(data.y);
    optim::SGD<double> sgd(net.parameters(), 0.1);
    nn::DataParallel<double> parallel(net, kHalfSse, two_workers());
    std::size_t rss_warm = 0, peak_growth = 0;
    detail::PoolStats pool_warm;
    for (int s = 1; s <= kSteps; ++s) {
        sgd.zero_grad();
        parallel.backward(x, y);
        sgd.step();
        if (s == kWarmup) {
            rss_warm = resident_bytes();
            pool_warm = detail::pool_stats();
        } else if (s > kWarmup && s % 500 == 0) {
            const std::size_t rss = resident_bytes();
            peak_growth = std::max(peak_growth, rss > rss_warm ? rss - rss_warm : 0);
        }
    }
    // The calling thread's pool serves the same blocks every step: no new system blocks.
    EXPECT_EQ(detail::pool_stats().system_allocations, pool_warm.system_allocations);
    EXPECT_LE(detail::pool_stats().cached_bytes, pool_warm.cached_bytes + 4096);
    if (kCheckResidentSet) {
        EXPECT_LT(peak_growth, std::size_t{2} << 20) << "bytes of growth";
    }
}

}  // namespace
}  // namespace tg::test
