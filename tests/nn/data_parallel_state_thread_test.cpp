// DataParallel runs one thread's step, split (`make tsan` builds the *thread*_test files):
// a model with BatchNorm, Dropout and a branch the loss never reaches, trained 100 steps,
// equals the one-thread run (batch statistics over the whole batch, running statistics
// updated once per step, the same dropout masks, no gradient for the unused branch), and
// two runs are bit-identical; grad mode and anomaly mode reach the workers; a module that
// changes its state on every worker, or a graph that differs between workers, is refused.

#include "nn/nn_test_util.hpp"

#include <tapegrad/nn/data_parallel.hpp>

#include <cstring>
#include <mutex>

namespace tg::test {
namespace {

/// Linear(4, 16) without a bias (BatchNorm would cancel it, leaving its gradient rounding
/// noise that Adam amplifies), BatchNorm1d(16), Tanh, Dropout(p), Dense(16, 1), and a
/// Dense(16, 3) branch that forward never uses.
class BranchyNet : public nn::Module<double> {
public:
    BranchyNet(std::uint64_t seed, double p, nn::Rng* dropout_rng) {
        nn::Rng init(seed);
        body_ = register_module(
            "body", std::make_shared<nn::Sequential<double>>(
                        nn::Linear<double>(4, 16, init, false), nn::BatchNorm1d<double>(16),
                        nn::Tanh<double>(), nn::Dropout<double>(p, dropout_rng),
                        nn::Dense<double>(16, 1, init)));
        unused_ = register_module("unused", std::make_shared<nn::Dense<double>>(16, 3, init));
    }
    Tensor<double> forward(const Tensor<double>& x) override { return (*body_)(x); }
    nn::BatchNorm<double>& batch_norm() { return body_->get<nn::BatchNorm<double>>(1); }
    const nn::Dense<double>& unused() const { return *unused_; }

private:
    std::shared_ptr<nn::Sequential<double>> body_;
    std::shared_ptr<nn::Dense<double>> unused_;
};

struct Data {
    Tensor<double> x, y;
};

Data make_data(std::size_t rows) {
    nn::Rng rng(21);
    Array<double> x = Array<double>::from_shape({rows, 4}),
                  y = Array<double>::from_shape({rows, 1});
    for (double& v : x) v = nn::standard_normal(rng);
    for (std::size_t i = 0; i < rows; ++i) y(i, 0) = std::sin(x(i, 0)) + 0.5 * x(i, 1) * x(i, 2);
    return {Tensor<double>(x), Tensor<double>(y)};
}

nn::DataParallelOptions workers(std::size_t k) {
    nn::DataParallelOptions o;
    o.workers = k;
    o.split = nn::Split::batch;
    o.min_rows_per_worker = 1;
    o.min_work_per_worker = 0;
    return o;
}

/// Everything a run leaves: parameters, buffers, the dropout generator, the losses.
struct RunResult {
    std::vector<Array<double>> parameters, buffers;
    nn::Rng dropout_rng;
    std::vector<double> losses;
    bool unused_has_grad = false;
    std::vector<Array<double>> unused_values;
};

/// 100 AdamW steps (weight decay 0.01) on 61 rows, on `k` workers, or with a plain tape
/// on the calling thread when k = 0.
RunResult train(std::size_t k, double p, bool own_rng = true, int steps = 100) {
    RunResult r{{}, {}, nn::Rng(77), {}, false, {}};
    nn::manual_seed(78);  // for a Dropout without a generator of its own
    BranchyNet net(5, p, own_rng ? &r.dropout_rng : nullptr);
    const std::vector<Array<double>> unused_before{net.unused().parameters()[0].value(),
                                                   net.unused().parameters()[1].value()};
    const Data d = make_data(61);  // blocks of 30 and 31 rows, or 20, 20 and 21
    optim::AdamW<double> opt(net.parameters(), 1e-2);
    nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, workers(k ? k : 1));
    for (int s = 0; s < steps; ++s) {
        opt.zero_grad();
        if (k == 0) {
            Tape tape;
            const Tensor<double> loss = nn::half_sse_per_example(net(d.x), d.y);
            r.losses.push_back(loss.item());
            tape.backward(loss);
        } else {
            r.losses.push_back(parallel.backward(d.x, d.y));
        }
        for (const auto& u : net.unused().parameters()) r.unused_has_grad |= u.has_grad();
        opt.step();
    }
    for (const auto& t : net.parameters()) r.parameters.push_back(t.value());
    for (const auto& t : net.buffers()) r.buffers.push_back(t.value());
    for (const auto& u : net.unused().parameters()) r.unused_values.push_back(u.value());
    EXPECT_EQ(r.unused_values, unused_before) << "the unused branch moved";
    EXPECT_EQ(net.batch_norm().num_batches_tracked().item(), double(steps));
    if (!own_rng) r.dropout_rng = nn::default_rng();
    return r;
}

void expect_close(const RunResult& got, const RunResult& want, double tolerance,
                  const std::string& what) {
    ASSERT_EQ(got.parameters.size(), want.parameters.size());
    for (std::size_t i = 0; i < want.parameters.size(); ++i)
        EXPECT_LT(relative_error(got.parameters[i], want.parameters[i]), tolerance)
            << what << ", parameter #" << i;
    for (std::size_t i = 0; i < want.buffers.size(); ++i)
        EXPECT_LT(relative_error(got.buffers[i], want.buffers[i]), tolerance)
            << what << ", buffer #" << i;
    for (std::size_t s = 0; s < want.losses.size(); ++s)
        ASSERT_NEAR(got.losses[s], want.losses[s], tolerance * want.losses[s])
            << what << ", step " << s;
    EXPECT_TRUE(got.dropout_rng == want.dropout_rng) << what << ": the generators differ";
    EXPECT_FALSE(got.unused_has_grad) << what;
}

bool bit_identical(const std::vector<Array<double>>& a, const std::vector<Array<double>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].shape() != b[i].shape() ||
            std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(double)) != 0)
            return false;
    return true;
}

TEST(DataParallelState, BatchNormAndUnusedBranchEqualOneThread) {
    const RunResult one = train(0, 0.0);
    EXPECT_FALSE(one.unused_has_grad);
    for (std::size_t k : {2, 3})
        expect_close(train(k, 0.0), one, 1e-12, std::to_string(k) + " workers");
}

TEST(DataParallelState, DropoutDrawsOneThreadsMasksForAnyWorkerCount) {
    for (bool own_rng : {true, false}) {
        const RunResult one = train(0, 0.3, own_rng, 30);
        ASSERT_FALSE(one.dropout_rng == nn::Rng(77)) << "dropout drew nothing";
        for (std::size_t k : {2, 3})
            expect_close(train(k, 0.3, own_rng, 30), one, 1e-12,
                         std::to_string(k) + " workers, " + (own_rng ? "own Rng" : "default_rng"));
    }
}

TEST(DataParallelState, TwoRunsAreBitIdentical) {
    const RunResult first = train(2, 0.3), second = train(2, 0.3);
    EXPECT_TRUE(bit_identical(first.parameters, second.parameters));
    EXPECT_TRUE(bit_identical(first.buffers, second.buffers));
    EXPECT_EQ(first.losses, second.losses);
    EXPECT_TRUE(first.dropout_rng == second.dropout_rng);
}

TEST(DataParallelState, AnomalyModeCatchesANanMadeInWorkerOnesShard) {
    BranchyNet net(6, 0.0, nullptr);
    Data d = make_data(40);  // worker 1 has rows 20-39
    d.x.mutable_value()(25, 2) = std::nan("");
    nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, workers(2));
    // The anomaly switch of the calling thread (DetectAnomalyGuard) and that of its tape.
    for (int how = 0; how < 2; ++how) {
        std::optional<DetectAnomalyGuard> guard;
        TapeOptions options;
        if (how == 0) guard.emplace();
        options.detect_anomaly = how == 1;
        Tape tape(options);
        try {
            parallel.backward(d.x, d.y);
            ADD_FAILURE() << "the NaN in worker 1's rows was not caught (" << how << ")";
        } catch (const nn::WorkerError& e) {
            EXPECT_EQ(e.worker(), 1u) << e.what();
            EXPECT_NE(std::string(e.what()).find("anomaly: forward of 'linear' produced NaN"),
                      std::string::npos)
                << e.what();
            EXPECT_THROW(std::rethrow_exception(e.cause()), AnomalyError);
        }
        for (const auto& p : net.parameters()) EXPECT_FALSE(p.has_grad());
    }
    // Without anomaly mode the NaN passes, as on one thread.
    EXPECT_TRUE(std::isnan(parallel.backward(d.x, d.y)));
}

TEST(DataParallelState, GradModeReachesTheWorkers) {
    BranchyNet net(7, 0.0, nullptr);
    const Data d = make_data(40);
    std::mutex mutex;
    std::vector<bool> seen;
    const nn::DataParallel<double>::LossFn loss = [&](const Tensor<double>& p,
                                                      const Tensor<double>& y) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(is_grad_enabled());
        return nn::half_sse_per_example(p, y);
    };
    nn::DataParallel<double> parallel(net, loss, workers(2));
    NoGradGuard no_grad;
    try {
        parallel.backward(d.x, d.y);
        ADD_FAILURE() << "a step under NoGradGuard records nothing, so it cannot differentiate";
    } catch (const nn::WorkerError& e) {
        EXPECT_THROW(std::rethrow_exception(e.cause()), GraphError);
    }
    EXPECT_EQ(seen, std::vector<bool>(2, false));
}

/// Counts its forward calls in a buffer: on every worker (`obeys` false), or only where
/// is_primary_worker() says so.
class Counter : public nn::Module<double> {
public:
    explicit Counter(bool obeys) : obeys_(obeys) {
        calls_ = register_buffer("calls", Tensor<double>(0.0));
    }
    Tensor<double> forward(const Tensor<double>& x) override {
        if (obeys_ && !nn::is_primary_worker()) return x;
        std::lock_guard<std::mutex> lock(mutex_);  // keeps the test itself free of races
        calls_.mutable_value()() += 1;
        return x;
    }
    double calls() const { return calls_.item(); }

private:
    bool obeys_;
    std::mutex mutex_;
    Tensor<double> calls_;
};

TEST(DataParallelState, AModuleThatChangesStateOnEveryWorkerIsRefused) {
    nn::Rng rng(8);
    const Data d = make_data(40);
    for (bool obeys : {true, false}) {
        nn::Sequential<double> net;
        net.add(nn::Dense<double>(4, 1, rng));
        auto counter = std::make_shared<Counter>(obeys);
        net.add(counter);
        nn::DataParallel<double> parallel(net, nn::half_sse_per_example<double>, workers(2));
        if (obeys) {
            for (int s = 0; s < 3; ++s) parallel.backward(d.x, d.y);
            EXPECT_EQ(counter->calls(), 3.0);
            continue;
        }
        try {
            parallel.backward(d.x, d.y);
            ADD_FAILURE() << "expected a WorkerError";
        } catch (const nn::WorkerError& e) {
            const std::string what = e.what();
            EXPECT_EQ(e.worker(), 1u) << what;
            EXPECT_NE(what.find("changed '1.calls' in place"), std::string::npos) << what;
            EXPECT_NE(what.find("tg::nn::is_primary_worker()"), std::string::npos) << what;
        }
        for (const auto& p : net.parameters()) EXPECT_FALSE(p.has_grad());
    }
}

/// Linear(4, 4), then BatchNorm on a block whose first value is below 5 and nothing
/// otherwise: a graph that depends on the data.
class Moody : public nn::Module<double> {
public:
    Moody() {
        nn::Rng rng(10);
        linear_ = register_module("linear", std::make_shared<nn::Linear<double>>(4, 4, rng));
        norm_ = register_module("norm", std::make_shared<nn::BatchNorm1d<double>>(4));
    }
    Tensor<double> forward(const Tensor<double>& x) override {
        const Tensor<double> h = (*linear_)(x);
        return x.value()(0, 0) < 5 ? (*norm_)(h) : h;
    }

private:
    std::shared_ptr<nn::Linear<double>> linear_;
    std::shared_ptr<nn::BatchNorm1d<double>> norm_;
};

TEST(DataParallelState, WorkersThatRunDifferentLayersGetAnErrorNotAHang) {
    Moody net;
    Data d = make_data(40);
    d.x.mutable_value()(20, 0) = 10;  // worker 1 skips the BatchNorm
    const nn::DataParallel<double>::LossFn loss = [](const Tensor<double>& p,
                                                     const Tensor<double>&) { return mean(p); };
    nn::DataParallel<double> parallel(net, loss, workers(2));
    try {
        parallel.backward(d.x, d.y);
        ADD_FAILURE() << "expected a WorkerError";
    } catch (const nn::WorkerError& e) {
        EXPECT_EQ(e.worker(), 0u) << e.what();
        EXPECT_NE(std::string(e.what()).find("the workers ran different operations"),
                  std::string::npos)
            << e.what();
    }
    d.x.mutable_value()(20, 0) = 0;  // the same layers again: the pool is still usable
    EXPECT_NO_THROW(parallel.backward(d.x, d.y));
}

TEST(DataParallelState, DropoutOfATensorWithoutTheBatchAxisIsRefused) {
    nn::Rng rng(9);
    auto weight = parameter(nn::uniform<double>({3, 4}, -1, 1, rng));
    const nn::DataParallel<double>::LossFn loss = [&](const Tensor<double>& p,
                                                      const Tensor<double>& y) {
        return nn::half_sse_per_example(matmul(p, transpose(dropout(weight, 0.5, rng))), y);
    };
    nn::Sequential<double> net;
    net.add(nn::Identity<double>());
    nn::DataParallel<double> parallel(net, loss, workers(2));
    const Data d = make_data(40);
    try {
        parallel.backward(d.x, Tensor<double>(Array<double>::from_shape({40, 3})));
        ADD_FAILURE() << "expected a WorkerError";
    } catch (const nn::WorkerError& e) {
        EXPECT_NE(std::string(e.what()).find("dropout under DataParallel: this worker has 20 rows "
                                             "of the batch, but the input has shape (3, 4)"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace tg::test
