// DataParallel's worker pool under ThreadSanitizer (`make tsan` builds the *thread*_test
// files): teams that grow and shrink between steps, a worker that throws, and pools made
// and destroyed, each against the one-thread gradient.

#include "nn/nn_test_util.hpp"

#include <tapegrad/nn/data_parallel.hpp>

namespace tg::test {
namespace {

using Loss = nn::DataParallel<double>::LossFn;

std::vector<Array<double>> grads_of(const nn::Module<double>& net) {
    std::vector<Array<double>> out;
    for (const auto& p : net.parameters()) out.push_back(p.grad().value());
    return out;
}

TEST(DataParallelPool, TeamsOfEverySizeGiveTheOneThreadGradient) {
    nn::Rng rng(3);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(97, rng);
    const Tensor<double> x(data.x), y(data.y);
    Tape tape;
    tape.backward(nn::half_sse_per_example(net(x), y));
    const auto want = grads_of(net);
    net.zero_grad();

    nn::DataParallelOptions o;
    o.split = nn::Split::batch;
    o.min_rows_per_worker = 1;
    o.min_work_per_worker = 0;
    nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, o);
    // The pool grows to 3 threads, then runs smaller teams, then grows again.
    for (std::size_t workers : {2, 4, 1, 3, 2, 4, 4}) {
        o.workers = workers;
        parallel = nn::DataParallel<double>(net, nn::half_sse_per_example<double>, o);
        for (int step = 0; step < 3; ++step) {
            parallel.backward(x, y);
            const auto got = grads_of(net);
            for (std::size_t i = 0; i < want.size(); ++i)
                ASSERT_LT(relative_error(got[i], want[i]), 1e-12) << workers << " workers";
            net.zero_grad();
        }
    }
}

TEST(DataParallelPool, OnePoolRunsTeamsOfChangingSize) {
    nn::Rng rng(4);
    nn::Sequential<double> net = blog_network<double>(rng);
    nn::DataParallelOptions o;
    o.workers = 3;
    o.split = nn::Split::batch;
    o.min_rows_per_worker = 8;
    o.min_work_per_worker = 0;
    nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, o);
    // 8, 16 and 24+ rows: teams of 1, 2 and 3 on the same pool.
    for (std::size_t rows : {24, 8, 16, 30, 9, 24}) {
        const BlogData<double> data = blog_data<double>(rows, rng);
        const Tensor<double> x(data.x), y(data.y);
        Tape tape;
        tape.backward(nn::half_sse_per_example(net(x), y));
        const auto want = grads_of(net);
        net.zero_grad();
        parallel.backward(x, y);
        const auto got = grads_of(net);
        for (std::size_t i = 0; i < want.size(); ++i)
            ASSERT_LT(relative_error(got[i], want[i]), 1e-12) << rows << " rows";
        net.zero_grad();
    }
}

TEST(DataParallelPool, AThrowingWorkerLeavesThePoolUsable) {
    nn::Rng rng(5);
    nn::Sequential<double> net = blog_network<double>(rng);
    const BlogData<double> data = blog_data<double>(41, rng);  // blocks of 20 and 21 rows
    const Tensor<double> x(data.x), y(data.y);
    bool fail = true;
    const Loss loss = [&fail](const Tensor<double>& p, const Tensor<double>& t) {
        if (fail && p.shape()[0] == 21) throw ValueError("planted failure");  // worker 1
        return nn::half_sse_per_example(p, t);
    };
    nn::DataParallelOptions o;
    o.workers = 2;
    o.split = nn::Split::batch;
    o.min_rows_per_worker = 1;
    o.min_work_per_worker = 0;
    nn::DataParallel<double> parallel(net, loss, o);
    for (int round = 0; round < 3; ++round) {
        fail = true;
        try {
            parallel.backward(x, y);
            ADD_FAILURE() << "worker 1 did not throw";
        } catch (const nn::WorkerError& e) {
            EXPECT_EQ(e.worker(), 1u);
        }
        for (const auto& p : net.parameters()) EXPECT_FALSE(p.has_grad());
        fail = false;
        EXPECT_GT(parallel.backward(x, y), 0.0);
        net.zero_grad();
    }
}

}  // namespace
}  // namespace tg::test
