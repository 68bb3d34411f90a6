// An LSTM learns the adding problem (data.hpp): each of L = 50 steps carries a value
// U(0, 1) and a marker, exactly two steps are marked, and the answer is the sum of the two
// marked values, so the network must carry the first one in its state for at least 25
// steps. Always predicting the mean 1 scores MSE 1/6 ≈ 0.167 (the trivial baseline);
// anything well below it needs memory.
//
//     x (N, 50, 2) -> LSTM(2, 32), batch-first -> last hidden state -> Dense(32, 1)
//
// trained with Adam on shuffled minibatches, the learning rate annealed along a cosine,
// the gradient's norm clipped to 1 (tg::nn::clip_grad_norm_) before each step. Training
// and test sequences are drawn by the example itself from a seeded tg::nn::Rng. Pictures:
// the training curve against the baseline, and predictions against the truth. Every
// epoch writes a training checkpoint (checkpoint.npz, tg::nn::TrainingCheckpoint), which
// --resume continues bit for bit.
//
// --side-by-side DIR trains the same model in double for 10 steps and writes what
// side_by_side.py needs to repeat them in PyTorch (the README's "sequence" section).
//
// Bad input fails cleanly (common/fail.hpp): a bad flag, or sizes that memory cannot
// hold, exit 2; an output that cannot be written, or a loss that stops being finite,
// exit 1; one line on stderr.

#include <tapegrad/tapegrad.hpp>
#include <xtensor/xnpy.hpp>

#include "../common/cli.hpp"
#include "../common/fail.hpp"
#include "../common/memory.hpp"
#include "../common/resume.hpp"
#include "../common/tools.hpp"
#include "data.hpp"
#include "model.hpp"
#include "plots.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace nn = tg::nn;

/// "%.17g": a double written so that reading it back gives the same double.
std::string exact(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
}

struct Options {
    std::string out = "sequence-out";
    long epochs = 25;
    std::size_t batch_size = 32;
    double lr = 3e-3;
    double clip = 1.0;
    std::size_t hidden = sequence::kDefaultHidden;
    std::size_t length = sequence::kDefaultLength;
    std::size_t train_size = 5000;
    std::size_t test_size = 1000;
    std::uint64_t seed = 1;
    bool resume = false;
    long stop_after = 0;      ///< > 0: stop after this many epochs, as a killed run would
    double check_ratio = 10;  ///< --check: the test MSE must be this many times below the baseline
    bool check = false;
    bool check_loss = false;
    bool plots = true;
    std::string side_by_side;  ///< non-empty: the PyTorch comparison's folder
    long side_by_side_steps = 10;
};

/// Peak resident memory of this process, in MiB (getrusage's ru_maxrss is in KiB on Linux).
double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

/// The model's predictions for every row of x, without recording, in chunks of 500 rows
/// (the LSTM keeps (rows, L, 4H) per chunk).
template <class T>
std::vector<double> predict(nn::Module<T>& model, const tg::Array<T>& x) {
    tg::NoGradGuard no_grad;
    std::vector<double> out;
    const std::size_t n = x.shape()[0];
    for (std::size_t start = 0; start < n; start += 500) {
        const std::size_t rows = std::min<std::size_t>(500, n - start);
        const tg::Tensor<T> chunk = tg::Tensor<T>(tg::Array<T>(x)).narrow(0, start, rows);
        const tg::Tensor<T> p = model(chunk);
        for (const T v : p.value()) out.push_back(double(v));
    }
    return out;
}

template <class T>
double mse(const std::vector<double>& predicted, const tg::Array<T>& y) {
    double sum = 0;
    for (std::size_t i = 0; i < predicted.size(); ++i)
        sum += (predicted[i] - double(y(i, 0))) * (predicted[i] - double(y(i, 0)));
    return sum / double(predicted.size());
}

/// A few test sequences with their predictions, for the picture.
template <class T>
std::vector<sequence::Example> examples_of(const sequence::Sequences<T>& test,
                                           const std::vector<double>& predicted, std::size_t k) {
    std::vector<sequence::Example> out;
    const std::size_t length = test.x.shape()[1];
    for (std::size_t i = 0; i < std::min(k, test.size()); ++i) {
        sequence::Example e{{}, {}, double(test.y(i, 0)), predicted[i]};
        for (std::size_t t = 0; t < length; ++t) {
            e.values.push_back(double(test.x(i, t, 0)));
            e.markers.push_back(double(test.x(i, t, 1)));
        }
        out.push_back(std::move(e));
    }
    return out;
}

/// Throws UsageError when the run cannot fit in memory. Bytes in float (twice that in
/// double), fitted to the peak resident memory (less an idle run's 23 MiB) of runs at
/// L = 50 (length), H = 32 (hidden) with --train-size, --test-size, --batch-size, --hidden
/// and --length raised in turn; within 20 % of each above 50 MiB (--batch-size 1000
/// --length 1000: 1311 MiB estimated, 1187 MiB measured):
///     data      16 L per sequence (x, and its copy in the DataLoader or in predict())
///     a batch   40 H per sequence and step (the LSTM's gates, states and their gradients)
///     predict   24 H per sequence and step of a 500-row chunk
///     model     20 per parameter (value, gradient, Adam's two moments, clipping)
template <class T>
void check_memory(const Options& o) {
    const double f = double(sizeof(T)) / 4, l = double(o.length), h = double(o.hidden);
    const double parameters = 4 * h * (2 + h) + 8 * h + h + 1;
    const double bytes =
        f * (16 * l * double(o.train_size + o.test_size) +
             40 * h * l * double(std::min(o.batch_size, o.train_size)) +
             24 * h * l * double(std::min<std::size_t>(500, o.test_size)) + 20 * parameters);
    examples::check_memory(bytes, "--train-size " + std::to_string(o.train_size) +
                                      ", --test-size " + std::to_string(o.test_size) +
                                      ", --batch-size " + std::to_string(o.batch_size) +
                                      ", --length " + std::to_string(o.length) + " and --hidden " +
                                      std::to_string(o.hidden));
}

/// Trains in T (float normally, double for --side-by-side); returns the exit status.
template <class T>
int run(const Options& o) {
    using Tensor = tg::Tensor<T>;
    const bool side = !o.side_by_side.empty();
    const std::filesystem::path dir = side ? o.side_by_side : o.out;
    check_memory<T>(o);
    if (side)
        examples::check_output_dir("--side-by-side", dir,
                                   {"init.npz", "config.txt", "losses.txt", "grad_norms.txt"});
    else
        examples::check_output_dir("--out", dir,
                                   {"checkpoint.npz", "history.csv", "predictions.csv"});

    // One generator for everything, in a fixed order: training set, test set, weights.
    nn::Rng rng(o.seed);
    const auto train = sequence::adding_problem<T>(o.train_size, o.length, rng);
    const auto test = sequence::adding_problem<T>(o.test_size, o.length, rng);
    sequence::LstmRegressor<T> model(o.hidden, rng);
    const double baseline = sequence::constant_mse(test, 1.0);
    std::printf(
        "sequence: adding problem, length %zu; %zu training and %zu test sequences; "
        "LSTM(2, %zu) + Dense(%zu, 1), %zu parameters\n",
        o.length, train.size(), test.size(), o.hidden, o.hidden, nn::num_parameters(model));
    std::fflush(stdout);  // before the progress lines on stderr

    const std::vector<Tensor> params = model.parameters();
    tg::optim::Adam<T> optimizer(params, T(o.lr));
    tg::optim::CosineAnnealingLR<T> schedule(optimizer, o.epochs);
    nn::DataLoader<T> batches(Tensor(tg::Array<T>(train.x)), Tensor(tg::Array<T>(train.y)),
                              o.batch_size, {true, false, o.seed});
    nn::TrainingCheckpoint<T> checkpoint;
    checkpoint.add_module("model", model)
        .add_optimizer("optimizer", optimizer)
        .add_scheduler("cosine", schedule)
        .add_rng("data", rng)
        .add_loader("train", batches);
    // What a resumed run must share with the run it continues (--epochs, the schedule's
    // length, is checked by the checkpoint itself: T_max; --hidden by the model's shapes).
    const std::map<std::string, std::string> flags{{"--seed", std::to_string(o.seed)},
                                                   {"--length", std::to_string(o.length)},
                                                   {"--train-size", std::to_string(o.train_size)},
                                                   {"--test-size", std::to_string(o.test_size)},
                                                   {"--batch-size", std::to_string(o.batch_size)},
                                                   {"--lr", exact(o.lr)},
                                                   {"--clip", exact(o.clip)}};
    const long first_epoch =
        side ? 0 : examples::resume_or_start(checkpoint, dir / "checkpoint.npz", o.resume, flags);
    if (o.resume) std::printf("resumed after epoch %ld\n", first_epoch);
    if (side) {
        nn::save(model, (dir / "init.npz").string());
        const tg::optim::AdamOptions adam;
        std::string config;
        auto put = [&config](const char* key, double value) {
            char line[96];
            std::snprintf(line, sizeof line, "%s %.17g\n", key, value);
            config += line;
        };
        put("lr", o.lr);
        put("clip", o.clip);
        put("beta1", adam.beta1);
        put("beta2", adam.beta2);
        put("eps", adam.eps);
        put("epochs", double(o.epochs));  // the cosine's T_max
        put("steps_per_epoch", double(batches.size()));
        put("steps", double(o.side_by_side_steps));
        put("hidden", double(o.hidden));
        put("length", double(o.length));
        if (!examples::write_text(dir / "config.txt", config)) return 1;
    }

    std::vector<sequence::EpochRecord> history;
    std::string losses, norms;  // --side-by-side: one value per step, "%.17g"
    long step = 0, clipped_total = 0;
    tg::Tape tape;  // records every step; loss.backward() runs it and releases its entries
    const auto start = std::chrono::steady_clock::now();
    for (long epoch = first_epoch; epoch < o.epochs; ++epoch) {
        const double lr = optimizer.learning_rate();
        double loss_sum = 0;
        std::size_t seen = 0;
        long clipped = 0, steps = 0;
        for (const auto& [x, y, rows] : batches) {
            if (side && step == o.side_by_side_steps) break;
            if (side) {
                xt::dump_npy((dir / ("x_" + std::to_string(step) + ".npy")).string(), x.value());
                xt::dump_npy((dir / ("y_" + std::to_string(step) + ".npy")).string(), y.value());
            }
            const Tensor loss = nn::mse_loss(model(x), y);
            examples::stop_if_diverged(double(loss.item()), "in epoch " + std::to_string(epoch + 1),
                                       "try a smaller --lr or --clip");
            loss.backward();
            // The norm before clipping; the gradient is scaled down when it exceeds o.clip.
            const double norm = nn::clip_grad_norm_(params, o.clip);
            optimizer.step();
            optimizer.zero_grad();
            clipped += norm > o.clip;
            clipped_total += norm > o.clip;
            ++steps;
            ++step;
            loss_sum += double(loss.item()) * double(y.size(0));
            seen += y.size(0);
            if (side) {
                char line[64];
                std::snprintf(line, sizeof line, "%.17g\n", double(loss.item()));
                losses += line;
                std::snprintf(line, sizeof line, "%.17g\n", norm);
                norms += line;
            }
        }
        if (side && step == o.side_by_side_steps) break;  // the steps PyTorch repeats
        schedule.step();
        if (side) continue;
        const double test_mse = mse(predict(model, test.x), test.y);
        history.push_back(
            {epoch + 1, loss_sum / double(seen), test_mse, lr, double(clipped) / double(steps)});
        std::fprintf(stderr,
                     "epoch %3ld/%ld  train loss %.5f  test MSE %.5f  baseline/MSE %6.1f  "
                     "lr %.2e  clipped %3ld of %ld steps\n",
                     epoch + 1, o.epochs, loss_sum / double(seen), test_mse, baseline / test_mse,
                     lr, clipped, steps);
        checkpoint.step = epoch + 1;
        checkpoint.save((dir / "checkpoint.npz").string());
        if (epoch + 1 == o.stop_after) {
            std::printf("stopped after epoch %ld (--stop-after); --resume continues\n", epoch + 1);
            examples::print_parameter_hash(model);
            return 0;
        }
    }
    if (side) {
        if (step < o.side_by_side_steps) {
            std::fprintf(stderr, "sequence: only %ld steps in %ld epochs; need %ld\n", step,
                         o.epochs, o.side_by_side_steps);
            return 2;
        }
        if (!examples::write_text(dir / "losses.txt", losses) ||
            !examples::write_text(dir / "grad_norms.txt", norms))
            return 1;
        std::printf("side by side: %ld steps written to %s (gradient clipped in %ld)\n", step,
                    dir.string().c_str(), clipped_total);
        return 0;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const std::vector<double> predicted = predict(model, test.x);
    const double test_mse = mse(predicted, test.y);
    std::printf("gradient norm clipped to %g in %ld of %ld steps (%.1f %%)\n", o.clip,
                clipped_total, step, 100.0 * double(clipped_total) / double(step));
    std::printf(
        "test MSE %.4g, %.3gx below the baseline %.3f (always predicting 1), after %ld "
        "epochs, %.1f s\n",
        test_mse, baseline / test_mse, baseline, o.epochs, seconds);
    examples::print_parameter_hash(model);
    const tg::MemoryStats pool = tg::memory_stats();
    std::printf("peak resident memory %.1f MiB (tapegrad's pool caches %.1f MiB)\n", peak_rss_mib(),
                double(pool.cached_bytes) / (1024.0 * 1024.0));
    if (o.plots) {
        std::vector<double> targets(test.y.begin(), test.y.end());
        sequence::plot_training_curve(dir, history, baseline);
        sequence::plot_predictions(dir, targets, predicted, examples_of(test, predicted, 4));
    }
    if (o.check_loss &&
        (history.size() < 2 || !(history.back().train_loss < 0.5 * history.front().train_loss))) {
        std::fprintf(stderr, "sequence: the training loss did not fall to half its first value\n");
        return 1;
    }
    if (o.check && !(test_mse * o.check_ratio < baseline)) {
        std::fprintf(stderr, "sequence: test MSE %.4g is not %gx below the baseline %.3f\n",
                     test_mse, o.check_ratio, baseline);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("Trains an LSTM on the adding problem with tapegrad.", "sequence");
    app.option_defaults()->always_capture_default();
    app.add_option("--out", o.out, "where the checkpoint, the CSV files and the pictures go");
    app.add_option("--epochs", o.epochs, "passes over the training set")
        ->check(examples::whole_number(1, 100000));
    app.add_option("--batch-size", o.batch_size, "sequences per step")
        ->check(examples::whole_number(1, 100000));
    app.add_option("--lr", o.lr, "Adam's peak learning rate (annealed along a cosine)")
        ->check(examples::kPositiveFloat);
    app.add_option("--clip", o.clip, "the largest gradient norm (clip_grad_norm_)")
        ->check(examples::kPositiveFloat);
    app.add_option("--hidden", o.hidden, "the LSTM's hidden size")
        ->check(examples::whole_number(1, 4096));
    app.add_option("--length", o.length, "steps per sequence")
        ->check(examples::whole_number(2, 100000));
    app.add_option("--train-size", o.train_size, "training sequences")
        ->check(examples::whole_number(1, 10000000));
    app.add_option("--test-size", o.test_size, "held-out test sequences")
        ->check(examples::whole_number(1, 10000000));
    app.add_option("--seed", o.seed, "seeds the data, the weights and the batch order")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    auto* resume = examples::add_resume_flags(app, o.resume, o.stop_after, "epochs", 100000);
    app.add_flag("--check", o.check,
                 "exit 1 unless the final test MSE is --check-ratio times below the baseline");
    app.add_option("--check-ratio", o.check_ratio, "the factor --check asks for")
        ->check(examples::kPositiveNumber);
    app.add_flag("--check-loss", o.check_loss,
                 "exit 1 unless the last epoch's training loss is below half the first's");
    app.add_flag("!--no-plots", o.plots, "skip the pictures");
    app.add_option("--side-by-side", o.side_by_side,
                   "train 10 steps in double and write what side_by_side.py needs into DIR")
        ->type_name("DIR")
        ->excludes(resume);
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;
    return examples::run_main(
        "sequence", [&] { return o.side_by_side.empty() ? run<float>(o) : run<double>(o); });
}
