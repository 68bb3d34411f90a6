// The blog workload, trained with tg::nn: a Sequential of Dense layers and activations,
// an optimizer from tg::optim, shuffled minibatches from tg::nn::DataLoader.
//
//     net  = Dense(1,32) Sigmoid, Dense(32,32) Sigmoid, Dense(32,16) Sigmoid,
//            Dense(16,16) Sigmoid, Dense(16,1) Tanh
//     data = x uniform in [−1, 1],  y = 0.8 · clip((0.75 − |x|) / 0.5, 0, 1)
//     loss = (1/2N) Σ (net(x) − y)²         metric: RMSE on a separate test sample
//
// `trapezoid` (the default recipe) trains with Adam on batches of 32 and reaches a test
// RMSE below 0.01 in a few seconds; `trapezoid --recipe blog` is the original write-up:
// full-batch plain gradient descent for 250,000 epochs. `--check` first proves the
// gradients three ways. `--help` lists every flag.
//
// Bad input fails cleanly (common/fail.hpp): a bad flag, or sizes that memory cannot
// hold, exit 2; an output folder that cannot be written (checked before training), or a
// loss that stops being finite, exit 1; one line on stderr.

#include "gradient_check.hpp"
#include "options.hpp"
#include "plots.hpp"
#include "progress.hpp"
#include "workload.hpp"

#include "../common/fail.hpp"
#include "../common/memory.hpp"
#include "../common/tools.hpp"

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn/data.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/optim/adam.hpp>
#include <tapegrad/optim/sgd.hpp>
#include <tapegrad/tape.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <xtensor/xview.hpp>

#ifdef TAPEGRAD_HAVE_DISTRIBUTED
#include <tapegrad/distributed.hpp>
#endif

namespace {

using Tensor = tg::Tensor<double>;
constexpr double kPi = 3.14159265358979323846;

/// The adam recipe's learning rate at `epoch` (1-based) of `epochs`: the peak rate for the
/// first half, then a cosine down to 1/100 of it at the last epoch:
///     lr(e) = lr · (f + (1 − f) · (1 + cos(π · s)) / 2),   s = (e − E/2) / (E/2),  f = 0.01.
/// Adam's steps are about lr in size whatever the gradient, so without the decay the
/// weights keep jittering around the minimum; shrinking lr late lets them settle.
double decayed_lr(double peak, long epoch, long epochs) {
    const double half = 0.5 * static_cast<double>(epochs);
    const double e = static_cast<double>(epoch);
    if (e <= half) return peak;
    const double s = (e - half) / half, floor = 0.01;
    return peak * (floor + (1 - floor) * 0.5 * (1 + std::cos(kPi * s)));
}

std::unique_ptr<tg::optim::Optimizer<double>> make_optimizer(const trapezoid::Options& o,
                                                             const std::vector<Tensor>& params) {
    if (o.optimizer == "adam") return std::make_unique<tg::optim::Adam<double>>(params, o.lr);
    return std::make_unique<tg::optim::SGD<double>>(params, o.lr);  // p −= lr · g
}

/// Throws UsageError when the run cannot fit in memory. Bytes, fitted to the peak
/// resident memory of runs with 10^7 and 2·10^7 training points in batches of 1000,
/// 10^6 and 2·10^6 points in one batch, and 2·10^6 test points; within 8 % of each
/// (2·10^6 in one batch: 3.09 GiB estimated, 3.02 GiB measured):
///     48 per training point (x and y, their tensors, the DataLoader's order)
///     1500 per row of a batch (every layer's output, saved for backward, its gradient)
///     700 per test point (the test RMSE's forward pass, predictions.csv sorted)
void check_memory(const trapezoid::Options& o) {
    const double bytes = 48.0 * double(o.train_size) +
                         1500.0 * double(std::min(o.batch_size, o.train_size)) +
                         700.0 * double(o.test_size);
    examples::check_memory(bytes, "--train-size " + std::to_string(o.train_size) +
                                      ", --batch-size " + std::to_string(o.batch_size) +
                                      " and --test-size " + std::to_string(o.test_size));
}

/// The run, once the options are parsed; returns the exit status.
int run(const trapezoid::Options& o, int argc, char** argv,
        std::chrono::steady_clock::time_point program_start) {
    // Before MPI starts, so every rank refuses alike.
    check_memory(o);
    examples::check_output_dir("--out", o.out, {"loss.csv", "predictions.csv", "plots.gp"});

    // --distributed: MPI for the whole run; rank r trains on its share of every batch.
    int rank = 0, ranks = 1;
#ifdef TAPEGRAD_HAVE_DISTRIBUTED
    std::optional<tg::distributed::Environment> mpi;
    if (o.distributed) {
        mpi.emplace(argc, argv);
        rank = tg::distributed::rank();
        ranks = tg::distributed::size();
        if (rank != 0 && !std::freopen("/dev/null", "w", stdout)) return 1;  // rank 0 reports
    }
#else
    if (o.distributed) {
        std::fprintf(stderr,
                     "trapezoid: --distributed needs tapegrad built with MPI "
                     "(install libopenmpi-dev openmpi-bin and reconfigure)\n");
        return 2;
    }
#endif

    // The weights have a stream of their own: other data sizes give the same initial net.
    tg::nn::Rng data_rng(o.seed), weight_rng(o.seed + 1);
    const trapezoid::Data train = trapezoid::make_data(o.train_size, data_rng);
    const trapezoid::Data test = trapezoid::make_data(o.test_size, data_rng);
    tg::nn::Sequential<double> net = trapezoid::blog_network(weight_rng);
    const Tensor x_train(train.x), y_train(train.y), x_test(test.x), y_test(test.y);

    const bool full_batch = o.batch_size >= o.train_size;
    const std::string batching = full_batch
                                     ? "full batch of " + std::to_string(o.train_size) + " points"
                                     : "shuffled batches of " + std::to_string(o.batch_size) +
                                           " from " + std::to_string(o.train_size) + " points";
    std::printf("trapezoid: recipe %s, %s lr %g%s, %s, %ld epochs, %zu test points, seed %llu\n",
                o.recipe.c_str(), o.optimizer == "adam" ? "Adam" : "plain SGD", o.lr,
                o.decay ? " (cosine decay over the second half)" : "", batching.c_str(), o.epochs,
                o.test_size, static_cast<unsigned long long>(o.seed));
    std::printf("network: %s\n", net.describe().c_str());
#ifdef TAPEGRAD_HAVE_DISTRIBUTED
    if (o.distributed) {
        tg::distributed::broadcast_parameters(net);  // rank 0's weights on every rank
        std::printf("distributed: %d MPI ranks, each batch split between them\n", ranks);
    }
#endif
    std::fflush(stdout);  // before the progress lines on stderr, also when both go to one file

    if (o.check) {
        const std::size_t n = std::min<std::size_t>(16, o.train_size);
        const tg::Array<double> xs = xt::view(train.x, xt::range(0, n), xt::all());
        const tg::Array<double> ys = xt::view(train.y, xt::range(0, n), xt::all());
        if (!trapezoid::three_way_check(net, xs, ys)) return 1;
        std::fflush(stdout);
    }

    const std::vector<Tensor> params = net.parameters();
    std::unique_ptr<tg::optim::Optimizer<double>> optimizer = make_optimizer(o, params);
    tg::nn::DataLoader<double> loader(x_train, y_train, o.batch_size,
                                      {/*shuffle=*/true, false, o.seed + 2});

    // At most ~1000 rows in loss.csv, whatever the number of epochs.
    const long log_every = std::max(1L, o.epochs / 1000);
    std::vector<trapezoid::CurvePoint> curve;
    trapezoid::Progress progress(o.epochs, isatty(2) != 0);
    long long steps = 0;
    double epoch_loss = 0, rmse = 0;
    double eval_seconds = 0;  // spent measuring the test RMSE for the curve, not training

    tg::Tape tape;  // one tape for the whole run: backward releases the entries, keeps the pools
    // --threads K: each batch's rows split between K workers, gradients reduced in order.
    tg::nn::DataParallelOptions parallel_options;
    parallel_options.workers = o.threads;
    tg::nn::DataParallel<double> parallel(
        net, [](const Tensor& p, const Tensor& y) { return tg::nn::half_sse_per_example(p, y); },
        parallel_options);
    // One optimizer step on a batch; returns the loss before the update.
    auto step = [&](const Tensor& x, const Tensor& y) {
        optimizer->zero_grad();
        double loss_value = 0;
        if (o.threads > 1) {
            loss_value = parallel.backward(x, y);  // fills p.grad() from K workers
#ifdef TAPEGRAD_HAVE_DISTRIBUTED
        } else if (o.distributed) {  // this rank's rows; the ranks' gradients averaged
            const std::size_t n = x.shape()[0], r = static_cast<std::size_t>(rank);
            const std::size_t begin = r * n / ranks, end = (r + 1) * n / ranks;
            Tensor loss = tg::nn::half_sse_per_example(
                net(Tensor(
                    tg::Array<double>(xt::view(x.value(), xt::range(begin, end), xt::all())))),
                Tensor(tg::Array<double>(xt::view(y.value(), xt::range(begin, end), xt::all()))));
            tape.backward(loss);
            tg::distributed::allreduce_gradients(net);  // one MPI_Allreduce per step
            loss_value = loss.item();                   // this rank's share (rank 0's is reported)
#endif
        } else {
            Tensor loss = tg::nn::half_sse_per_example(net(x), y);
            loss.backward();  // accumulates d loss / d p into p.grad(), on `tape`
            loss_value = loss.item();
        }
        optimizer->step();  // updates in place; records nothing
        ++steps;
        return loss_value;
    };

    for (long epoch = 1; epoch <= o.epochs; ++epoch) {
        if (o.decay) optimizer->set_learning_rate(decayed_lr(o.lr, epoch, o.epochs));
        double sum = 0;
        std::size_t batches = 0;
        if (full_batch) {
            sum = step(x_train, y_train);
            batches = 1;
        } else {
            for (const auto& [x, y, rows] : loader) {  // a new order every epoch
                sum += step(x, y);
                ++batches;
            }
        }
        epoch_loss = sum / static_cast<double>(batches);
        if (!std::isfinite(epoch_loss)) {
            progress.finish();
            std::fprintf(stderr, "trapezoid: the loss became %g at epoch %ld; try a smaller --lr\n",
                         epoch_loss, epoch);
            return 1;
        }
        const bool log = epoch % log_every == 0 || epoch == o.epochs;
        const bool show = progress.due(epoch);
        if (log || show) {
            const auto t0 = std::chrono::steady_clock::now();
            rmse = trapezoid::test_rmse(net, x_test, y_test);
            eval_seconds +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        if (log) curve.push_back({epoch, epoch_loss, rmse});
        if (show) progress.report(epoch, epoch_loss, rmse, steps);
    }
    progress.finish();
    const double training_seconds = progress.elapsed() - eval_seconds;

    rmse = trapezoid::test_rmse(net, x_test, y_test);
    tg::Array<double> prediction;
    {
        tg::NoGradGuard no_grad;
        prediction = net(x_test).value();
    }
    char title[160];
    std::snprintf(title, sizeof title, "recipe %s, %s, %ld epochs, test RMSE %.4f",
                  o.recipe.c_str(), o.optimizer == "adam" ? "Adam" : "plain SGD", o.epochs, rmse);
    if (rank != 0) return 0;  // every rank holds the same model; rank 0 writes it out
    const std::vector<std::string> files =
        trapezoid::write_outputs(o.out, curve, test.x, test.y, prediction, title);

    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - program_start).count();
    std::printf("final test RMSE %.5f on %zu test points (the write-up reached 0.065)\n", rmse,
                o.test_size);
    std::printf(
        "  %ld epochs, %lld steps in %.2f s of training (%.0f steps/s), final training loss "
        "%.3e\n",
        o.epochs, steps, training_seconds, static_cast<double>(steps) / training_seconds,
        epoch_loss);
    std::printf("  %.2f s measuring the test RMSE for the curve; wall time %.2f s\n", eval_seconds,
                wall);
    for (const std::string& f : files) std::printf("  wrote %s\n", f.c_str());
    if (files.empty()) return 1;

    if (o.max_rmse > 0 && !(rmse <= o.max_rmse)) {
        std::fprintf(stderr, "trapezoid: the test RMSE %.5f is above --max-rmse %g\n", rmse,
                     o.max_rmse);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const auto program_start = std::chrono::steady_clock::now();
    trapezoid::Options o;
    if (const auto status = trapezoid::parse_options(argc, argv, o)) return *status;
    return examples::run_main("trapezoid", [&] { return run(o, argc, argv, program_start); });
}
