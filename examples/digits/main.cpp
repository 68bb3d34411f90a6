// A small CNN on scikit-learn's handwritten digits (1,797 8x8 images, 10 classes):
//     Conv2d(1, 16, 3, padding 1) ReLU MaxPool2d(2)  ->  16 x 4 x 4
//     Conv2d(16, 32, 3, padding 1) ReLU MaxPool2d(2) ->  32 x 2 x 2
//     Flatten Dropout(0.25) Dense(128, 10)
// (model.cpp) trained with AdamW on shuffled minibatches, the learning rate annealed along
// a cosine, on a fixed seeded split (1,437 training, 360 test images). Writes a training
// checkpoint after every epoch (checkpoint.npz: the model, the optimizer, the schedule,
// the generator of the weights and dropout masks, the batch order; tg::nn::TrainingCheckpoint),
// which --resume continues bit for bit, and pictures: the training curve, the confusion
// matrix and the misclassified test digits.
//
// --side-by-side DIR trains the same model in double with dropout off (p = 0) for its
// first 10 steps and writes what side_by_side.py needs to repeat them in PyTorch: the
// initial weights, the batches, the settings and the losses.
//
// The data come from Debian's python3-sklearn (digits.csv.gz), read with zlib; --data
// names another copy.
//
// Bad input fails cleanly (common/fail.hpp): a bad flag exits 2, a file that cannot be
// read or written, or a loss that stops being finite, exits 1, with one line on stderr.

#include <sys/resource.h>

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

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <string>

namespace {

namespace nn = tg::nn;

struct Options {
    std::string data = digits::kDebianPath;
    std::string out = "digits-out";
    std::string side_by_side;  ///< non-empty: the --side-by-side folder
    long epochs = 40;
    std::size_t batch_size = 32;
    double lr = 3e-3;
    double weight_decay = 1e-2;
    std::uint64_t seed = 1;
    std::size_t limit = 0;  ///< > 0: only the first `limit` images (smoke tests)
    bool resume = false;
    long stop_after = 0;  ///< > 0: stop after this many epochs, as a killed run would
    bool check = false;
    bool check_loss = false;
    bool plots = true;
};

/// Steps that --side-by-side records.
constexpr std::size_t kSideBySideSteps = 10;

/// The fewest images a run takes (--limit, or the lines of --data): 10 hold out 2 test
/// images (the split's 360 / 1797), so there is an accuracy to measure.
constexpr std::size_t kMinImages = 10;

/// The training checkpoint in the output folder (check_output_dir proves it can be
/// written before the run starts).
constexpr const char* kCheckpointFile = "checkpoint.npz";

/// "%.17g": a double written so that reading it back gives the same double.
std::string exact(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
}

/// The images as (N, 1, 8, 8) and the labels as (N) int64 class indices (PyTorch's
/// torch.long targets).
template <class T>
std::pair<tg::Tensor<T>, tg::Tensor<std::int64_t>> tensors_of(const digits::Dataset& d) {
    tg::Array<T> x = tg::Array<T>::from_shape({d.size(), 1, digits::kSide, digits::kSide});
    std::copy(d.pixels.begin(), d.pixels.end(), x.begin());
    const std::vector<std::int64_t> y(d.labels.begin(), d.labels.end());
    return {tg::Tensor<T>(std::move(x)), tg::from_vector(y, {y.size()})};
}

/// The predicted class of each row of logits.
template <class T>
std::vector<int> predictions(nn::Module<T>& model, const tg::Tensor<T>& x) {
    tg::NoGradGuard no_grad;
    model.eval();
    const tg::Tensor<std::int64_t> classes = model(x).argmax(1);
    model.train();
    return std::vector<int>(classes.value().begin(), classes.value().end());
}

/// The fraction of right predictions; NaN when there are no labels (so --check fails).
double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels) {
    if (labels.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::size_t right = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) right += predicted[i] == labels[i];
    return double(right) / double(labels.size());
}

/// Throws UsageError when the run cannot fit in memory: per image of a training batch or
/// of the test set (evaluated in one pass) about 48 KiB in float (42 KiB measured: peak
/// resident memory of `--batch-size 100000`, an epoch in one batch, less that of
/// `--batch-size 32`), twice that in double; 2 KiB per image read (its pixels in double,
/// the split's copy, the tensors).
template <class T>
void check_memory(const Options& o, std::size_t images, std::size_t train, std::size_t test) {
    const double per_image = 48.0 * 1024 * double(sizeof(T)) / 4;
    const double bytes =
        2048.0 * double(images) + per_image * double(std::min(o.batch_size, train) + test);
    examples::check_memory(bytes, "--batch-size " + std::to_string(o.batch_size) + " and the " +
                                      std::to_string(images) + " images of --data " + o.data);
}

/// Peak resident memory of the process so far, in MiB (Linux reports ru_maxrss in KiB).
double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024;
}

/// What --side-by-side writes into its folder for side_by_side.py: x_k.npy and y_k.npy
/// (the inputs and labels of step k, in the DataLoader's shuffled order), losses.txt and
/// lrs.txt (step k's loss and learning rate, one per line), config.txt (the optimizer and
/// schedule settings as "key value" lines) and the split (for side_by_side.py --full).
/// init.npz is written before the first step.
class SideBySideRecord {
public:
    explicit SideBySideRecord(std::filesystem::path dir) : dir_(std::move(dir)) {}

    template <class T>
    void batch(const tg::Tensor<T>& x, const tg::Tensor<std::int64_t>& y) {
        const std::string k = std::to_string(losses_.size());
        xt::dump_npy((dir_ / ("x_" + k + ".npy")).string(), x.value());
        xt::dump_npy((dir_ / ("y_" + k + ".npy")).string(), y.value());
    }
    void step(double loss, double lr) {
        losses_.push_back(loss);
        lrs_.push_back(lr);
    }
    bool done() const { return losses_.size() >= kSideBySideSteps; }

    /// The whole split (x_train.npy, y_train.npy, x_test.npy, y_test.npy), for
    /// side_by_side.py --full.
    template <class T>
    void split(const tg::Tensor<T>& x_train, const tg::Tensor<std::int64_t>& y_train,
               const tg::Tensor<T>& x_test, const tg::Tensor<std::int64_t>& y_test) const {
        xt::dump_npy((dir_ / "x_train.npy").string(), x_train.value());
        xt::dump_npy((dir_ / "y_train.npy").string(), y_train.value());
        xt::dump_npy((dir_ / "x_test.npy").string(), x_test.value());
        xt::dump_npy((dir_ / "y_test.npy").string(), y_test.value());
    }

    /// Writes losses.txt, lrs.txt and config.txt; false when a file cannot be written.
    bool finish(const Options& o, const tg::optim::AdamWOptions& adamw,
                std::size_t batches_per_epoch) const {
        std::string losses, lrs;
        for (std::size_t k = 0; k < losses_.size(); ++k) {
            losses += exact(losses_[k]) + "\n";
            lrs += exact(lrs_[k]) + "\n";
        }
        // The scheduler steps after every `batches_per_epoch` optimizer steps (an epoch),
        // as in the training loop.
        const std::string config =
            "lr " + exact(o.lr) + "\nbeta1 " + exact(adamw.beta1) + "\nbeta2 " +
            exact(adamw.beta2) + "\neps " + exact(adamw.eps) + "\nweight_decay " +
            exact(adamw.weight_decay) + "\namsgrad " + std::to_string(int(adamw.amsgrad)) +
            "\nt_max " + std::to_string(o.epochs) + "\neta_min 0\nbatches_per_epoch " +
            std::to_string(batches_per_epoch) + "\nbatch_size " + std::to_string(o.batch_size) +
            "\ndropout 0\ntrain_dropout " + exact(digits::kDropout) + "\nsteps " +
            std::to_string(losses_.size()) + "\n";
        return examples::write_text(dir_ / "losses.txt", losses) &&
               examples::write_text(dir_ / "lrs.txt", lrs) &&
               examples::write_text(dir_ / "config.txt", config);
    }

private:
    std::filesystem::path dir_;
    std::vector<double> losses_, lrs_;
};

/// Trains (or, with --side-by-side, records the first steps of) the model in T; returns
/// the exit status.
template <class T>
int run(const Options& o, const digits::Dataset& all) {
    using Tensor = tg::Tensor<T>;
    const bool side_by_side = !o.side_by_side.empty();
    const std::filesystem::path dir = side_by_side ? o.side_by_side : o.out;
    const std::size_t test_size = all.size() * 360 / 1797;
    check_memory<T>(o, all.size(), all.size() - test_size, test_size);
    if (side_by_side)
        examples::check_output_dir("--side-by-side", dir,
                                   {"init.npz", "losses.txt", "lrs.txt", "config.txt"});
    else
        examples::check_output_dir("--out", dir, {kCheckpointFile, "history.csv"});
    const digits::Split split = digits::split(all.size(), test_size, o.seed);
    const digits::Dataset train = digits::subset(all, split.train),
                          test = digits::subset(all, split.test);
    const auto [x_train, y_train] = tensors_of<T>(train);
    const auto [x_test, y_test] = tensors_of<T>(test);
    std::printf("digits: %zu training and %zu test images from %s\n", train.size(), test.size(),
                o.data.c_str());

    nn::Rng rng(o.seed);
    // Side by side, dropout is off (p = 0): PyTorch cannot draw tapegrad's masks.
    nn::Sequential<T> model =
        digits::make_model<T>(rng, side_by_side ? 0.0 : digits::kDropout, &rng);
    tg::optim::AdamWOptions adamw;
    adamw.weight_decay = o.weight_decay;
    tg::optim::AdamW<T> optimizer(model.parameters(), T(o.lr), adamw);
    tg::optim::CosineAnnealingLR<T> schedule(optimizer, o.epochs);
    nn::DataLoader batches(x_train, y_train, o.batch_size, {true, false, o.seed});  // int64 y
    nn::TrainingCheckpoint<T> checkpoint;
    checkpoint.add_module("model", model)
        .add_optimizer("optimizer", optimizer)
        .add_scheduler("cosine", schedule)
        .add_rng("model", rng)  // the weights' and the dropout masks' generator
        .add_loader("train", batches);
    // The flags a resumed run must share with the run it continues (--epochs, the
    // schedule's length, is checked by the checkpoint itself: T_max).
    const std::map<std::string, std::string> flags{{"--data", o.data},
                                                   {"--limit", std::to_string(o.limit)},
                                                   {"--seed", std::to_string(o.seed)},
                                                   {"--batch-size", std::to_string(o.batch_size)},
                                                   {"--lr", exact(o.lr)},
                                                   {"--weight-decay", exact(o.weight_decay)}};
    const long first_epoch = side_by_side ? 0
                                          : examples::resume_or_start(
                                                checkpoint, dir / kCheckpointFile, o.resume, flags);
    if (o.resume) std::printf("resumed after epoch %ld\n", first_epoch);
    std::optional<SideBySideRecord> record;
    if (side_by_side) {
        nn::save(model, (dir / "init.npz").string());
        record.emplace(dir);
        record->split(x_train, y_train, x_test, y_test);
    }

    std::vector<digits::EpochRecord> history;
    tg::Tape tape;  // records every step; loss.backward() runs it and releases its entries
    const auto start = std::chrono::steady_clock::now();
    for (long epoch = first_epoch; epoch < o.epochs && !(record && record->done()); ++epoch) {
        const double lr = optimizer.learning_rate();
        double loss_sum = 0;
        std::size_t seen = 0;
        for (const auto& [x, y, rows] : batches) {
            if (record) record->batch(x, y);
            const Tensor loss = nn::cross_entropy(model(x), y);
            examples::stop_if_diverged(double(loss.item()), "in epoch " + std::to_string(epoch + 1),
                                       "try a smaller --lr or --weight-decay");
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            loss_sum += double(loss.item()) * double(y.numel());
            seen += y.numel();
            if (record) {
                record->step(double(loss.item()), lr);
                if (record->done()) break;
            }
        }
        if (record && record->done()) break;
        schedule.step();
        if (record) continue;  // side by side: no evaluation, no checkpoint
        const double acc = accuracy(predictions(model, x_test), test.labels);
        history.push_back({epoch + 1, loss_sum / double(seen), acc, lr});
        std::fprintf(stderr, "epoch %3ld/%ld  loss %.4f  test accuracy %5.1f %%  lr %.2e\n",
                     epoch + 1, o.epochs, loss_sum / double(seen), 100 * acc, lr);
        checkpoint.step = epoch + 1;
        checkpoint.save((dir / kCheckpointFile).string());
        if (epoch + 1 == o.stop_after) {
            std::printf("stopped after epoch %ld (--stop-after); --resume continues\n", epoch + 1);
            examples::print_parameter_hash(model);
            return 0;
        }
    }
    if (record) {
        if (!record->finish(o, adamw, batches.size())) return 1;
        std::printf("side by side: the first steps in double, dropout off, written to %s\n",
                    dir.string().c_str());
        return 0;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::vector<int> predicted = predictions(model, x_test);
    const double acc = accuracy(predicted, test.labels);
    std::printf("final test accuracy %.2f %% (%zu of %zu) after %ld epochs, %.1f s\n", 100 * acc,
                static_cast<std::size_t>(acc * double(test.size()) + 0.5), test.size(), o.epochs,
                seconds);
    examples::print_parameter_hash(model);
    if (o.plots) {
        std::vector<std::vector<std::size_t>> counts(digits::kClasses,
                                                     std::vector<std::size_t>(digits::kClasses, 0));
        for (std::size_t i = 0; i < test.size(); ++i) ++counts[test.labels[i]][predicted[i]];
        digits::plot_training_curve(dir, history);
        digits::plot_confusion(dir, counts);
        digits::plot_misclassified(dir, test, predicted);
    }
    std::printf("peak resident memory %.1f MiB (getrusage ru_maxrss)\n", peak_rss_mib());
    if (o.check_loss &&
        (history.size() < 2 || !(history.back().train_loss < 0.5 * history.front().train_loss))) {
        std::fprintf(stderr, "digits: the training loss did not fall to half its first value\n");
        return 1;
    }
    if (o.check && !(acc >= 0.97)) {  // NaN (no test image) fails too
        std::fprintf(stderr, "digits: test accuracy %.2f %% is below 97 %%\n", 100 * acc);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("Trains a small CNN on scikit-learn's handwritten digits with tapegrad.",
                 "digits");
    app.option_defaults()->always_capture_default();
    app.add_option("--data", o.data, "digits.csv.gz (Debian's python3-sklearn ships it)");
    app.add_option("--out", o.out, "where the checkpoint, the CSV files and the pictures go");
    app.add_option("--epochs", o.epochs, "passes over the training set")
        ->check(examples::whole_number(1, 100000));
    app.add_option("--batch-size", o.batch_size, "images per step")
        ->check(examples::whole_number(1, 100000));
    app.add_option("--lr", o.lr, "AdamW's peak learning rate")->check(examples::kPositiveFloat);
    app.add_option("--weight-decay", o.weight_decay, "AdamW's decoupled weight decay")
        ->check(examples::kNonNegativeFloat);
    app.add_option("--seed", o.seed, "seeds the split, the weights, dropout and the batch order")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    app.add_option(
           "--limit", o.limit,
           "use only the first N images (0: all; else at least " + std::to_string(kMinImages) + ")")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    auto* resume = examples::add_resume_flags(app, o.resume, o.stop_after, "epochs", 100000);
    app.add_flag("--check", o.check, "exit 1 when the final test accuracy is below 97 %");
    app.add_flag("--check-loss", o.check_loss,
                 "exit 1 unless the last epoch's training loss is below half the first's");
    app.add_flag("!--no-plots", o.plots, "skip the pictures");
    app.add_option("--side-by-side", o.side_by_side,
                   "train the first 10 steps in double with dropout off (p = 0) and write the "
                   "initial weights, the batches, the settings and the losses into DIR for "
                   "side_by_side.py (the same steps in PyTorch)")
        ->option_text("DIR")
        ->excludes(resume);
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;

    return examples::run_main("digits", [&] {
        if (o.limit > 0 && o.limit < kMinImages)
            throw examples::UsageError("--limit " + std::to_string(o.limit) +
                                       " leaves no test image: use 0 (all) or at least " +
                                       std::to_string(kMinImages));
        const digits::Dataset all = digits::load(o.data, o.limit);
        if (all.size() < kMinImages)
            throw std::runtime_error("--data " + o.data + " holds " + std::to_string(all.size()) +
                                     " images; at least " + std::to_string(kMinImages) +
                                     " are needed (2 for the test set)");
        return o.side_by_side.empty() ? run<float>(o, all) : run<double>(o, all);
    });
}
