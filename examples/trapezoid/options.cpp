#include "options.hpp"

#include "../common/cli.hpp"

#include <limits>

namespace trapezoid {

Options recipe_defaults(const std::string& recipe) {
    Options o;  // the adam recipe
    o.recipe = recipe;
    if (recipe == "blog") {
        // The write-up: full-batch plain gradient descent for 250,000 epochs.
        o.optimizer = "sgd";
        o.train_size = 256;
        o.batch_size = 256;
        o.lr = 0.5;
        o.epochs = 250000;
        o.decay = false;
    }
    return o;
}

namespace {

const char* const kDescription = R"(Trains the blog workload with tapegrad: the network
    Dense(1,32) Sigmoid, Dense(32,32) Sigmoid, Dense(32,16) Sigmoid,
    Dense(16,16) Sigmoid, Dense(16,1) Tanh
on y = 0.8 clip((0.75 - |x|) / 0.5, 0, 1), x uniform in [-1, 1], with the loss
(1/2N) sum (pred - y)^2, and reports the RMSE on a separate test sample.

Recipes (a recipe sets the defaults; every flag overrides them; the defaults shown
below are those of the recipe given, adam when none is):
  adam  (the default) Adam on shuffled minibatches of 32 from 1000 points, 800
        epochs, lr 0.003. The learning rate stays at lr for the first half of the
        epochs, then falls along a cosine to lr/100 at the last one.
  blog  the original write-up: full-batch plain gradient descent (--optimizer sgd,
        no momentum, no decay), 250000 epochs on 256 points, lr 0.5. The write-up
        gives neither its learning rate nor its training-set size; these are this
        example's choice: after 20,000 epochs the loss was still on its initial
        plateau with lr 0.1 and with lr 2, while 0.5 trained steadily.)";

const char* const kFooter =
    R"(--check compares the network's gradients three ways (the tape, tg::nn::reference,
central finite differences) and prints the largest disagreement per layer.
--threads K > 1 splits each batch between K worker threads (tg::nn::DataParallel;
a batch too small to pay for a split stays on one thread: under 2 x 258
rows for this network). --distributed needs tapegrad built
with MPI.

Progress goes to stderr (one line rewritten in place on a terminal), the summary
to stdout. A bad flag or value prints one line and exits with status 2.
)";

/// The recipe named on the command line ("adam" when none, or an invalid one, is: the
/// full parse reports that).
std::string recipe_of(int argc, char** argv) {
    CLI::App app;
    app.allow_extras();
    app.set_help_flag();
    std::string recipe = "adam";
    app.add_option("--recipe", recipe);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError&) {
        return "adam";
    }
    return recipe == "blog" ? recipe : "adam";
}

}  // namespace

std::optional<int> parse_options(int argc, char** argv, Options& options) {
    Options o = recipe_defaults(recipe_of(argc, argv));
    CLI::App app(kDescription, "trapezoid");
    app.footer(kFooter);
    app.option_defaults()->always_capture_default();
    app.add_option("--recipe", o.recipe, "see above")->check(CLI::IsMember({"adam", "blog"}));
    app.add_option("--optimizer", o.optimizer, "the update rule (sgd: p -= lr * gradient)")
        ->check(CLI::IsMember({"adam", "sgd"}));
    app.add_option("--lr", o.lr, "the learning rate (the peak one under the adam recipe)")
        ->check(examples::kPositiveNumber);
    app.add_option("--epochs", o.epochs, "passes over the training set")
        ->check(examples::whole_number(1, 1000000000));
    CLI::Option* batch = app.add_option("--batch-size", o.batch_size,
                                        "examples per step; equal to --train-size: full batch")
                             ->check(examples::whole_number(1, 100000000));
    CLI::Option* train =
        app.add_option("--train-size", o.train_size,
                       "training points (the blog recipe keeps the batch equal to it)")
            ->check(examples::whole_number(1, 100000000));
    app.add_option("--test-size", o.test_size, "test points")
        ->check(examples::whole_number(1, 100000000));
    app.add_option("--seed", o.seed, "seeds the data, the weights and the batch order")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    app.add_option("--out", o.out, "where loss.csv, predictions.csv and the PNGs go")
        ->check([](const std::string& s) { return s.empty() ? "a folder name is needed" : ""; });
    app.add_flag("--check", o.check,
                 "compare the gradients three ways first; exit 1 if they disagree");
    app.add_option("--max-rmse", o.max_rmse, "exit 1 when the final test RMSE is above it")
        ->check(examples::kPositiveNumber);
    app.add_flag("--distributed", o.distributed,
                 "split each batch between MPI ranks (mpirun -np R)");
    app.add_option("--threads", o.threads, "split each batch between worker threads (see below)")
        ->check(examples::whole_number(1, 256));
    if (const auto status = examples::parse_command_line(app, argc, argv)) return status;

    // The blog recipe is full-batch: a new --train-size moves the batch along with it.
    if (o.recipe == "blog" && train->count() > 0 && batch->count() == 0)
        o.batch_size = o.train_size;
    if (o.batch_size > o.train_size) {
        std::fprintf(stderr, "trapezoid: --batch-size %zu is larger than --train-size %zu\n",
                     o.batch_size, o.train_size);
        return 2;
    }
    options = o;
    return std::nullopt;
}

}  // namespace trapezoid
