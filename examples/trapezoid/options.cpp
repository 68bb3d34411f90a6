#include "options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace trapezoid {

namespace {

/// A decimal integer >= 0 and nothing else.
bool parse_unsigned(const std::string& text, std::uint64_t& value) {
    if (text.empty() || text[0] == '-' || text[0] == '+') return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    value = v;
    return true;
}

/// A finite number > 0 and nothing else.
bool parse_positive_double(const std::string& text, double& value) {
    if (text.empty()) return false;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (errno != 0 || *end != '\0' || !std::isfinite(v) || v <= 0) return false;
    value = v;
    return true;
}

}  // namespace

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

bool parse_options(int argc, char** argv, Options& options, std::string& error) {
    // First pass: split "--flag value" / "--flag=value" and find the recipe, whose
    // defaults the other flags then override.
    std::vector<std::pair<std::string, std::string>> flags;
    std::string recipe = "adam";
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i], value;
        const std::size_t eq = flag.find('=');
        if (flag.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        }
        const bool is_switch = flag == "--check" || flag == "--help" || flag == "-h" ||
                               flag == "--distributed";
        const bool takes_value = flag == "--recipe" || flag == "--optimizer" || flag == "--lr" ||
                                 flag == "--epochs" || flag == "--batch-size" ||
                                 flag == "--train-size" || flag == "--test-size" ||
                                 flag == "--seed" || flag == "--out" || flag == "--max-rmse" ||
                                 flag == "--threads";
        if (!is_switch && !takes_value) {
            error = flag.rfind("-", 0) == 0
                        ? "unknown flag '" + flag + "'"
                        : "unexpected argument '" + flag + "' (flags start with --)";
            return false;
        }
        if (takes_value && eq == std::string::npos) {
            if (i + 1 >= argc) {
                error = flag + " needs a value";
                return false;
            }
            value = argv[++i];
        }
        if (flag == "--recipe") {
            if (value != "adam" && value != "blog") {
                error = "--recipe must be adam or blog, not '" + value + "'";
                return false;
            }
            recipe = value;
        }
        flags.emplace_back(flag, value);
    }

    Options o = recipe_defaults(recipe);
    bool batch_given = false, train_given = false;
    for (const auto& [flag, value] : flags) {
        std::uint64_t u = 0;
        double d = 0;
        auto fail = [&](const char* expected) {
            error = flag + ": '" + value + "' is not " + expected;
            return false;
        };
        if (flag == "--recipe") {
            continue;
        } else if (flag == "--help" || flag == "-h") {
            o.help = true;
        } else if (flag == "--check") {
            o.check = true;
        } else if (flag == "--distributed") {
            o.distributed = true;
        } else if (flag == "--seed") {
            if (!parse_unsigned(value, u)) return fail("a non-negative integer");
            o.seed = u;
        } else if (flag == "--train-size" || flag == "--test-size" || flag == "--batch-size") {
            if (!parse_unsigned(value, u) || u == 0 || u > 100000000)
                return fail("an integer from 1 to 100000000");
            if (flag == "--train-size") {
                o.train_size = u;
                train_given = true;
            } else if (flag == "--batch-size") {
                o.batch_size = u;
                batch_given = true;
            } else {
                o.test_size = u;
            }
        } else if (flag == "--threads") {
            if (!parse_unsigned(value, u) || u == 0 || u > 256)
                return fail("an integer from 1 to 256");
            o.threads = u;
        } else if (flag == "--epochs") {
            if (!parse_unsigned(value, u) || u == 0 || u > 1000000000)
                return fail("an integer from 1 to 1000000000");
            o.epochs = static_cast<long>(u);
        } else if (flag == "--lr") {
            if (!parse_positive_double(value, d)) return fail("a positive number");
            o.lr = d;
        } else if (flag == "--max-rmse") {
            if (!parse_positive_double(value, d)) return fail("a positive number");
            o.max_rmse = d;
        } else if (flag == "--optimizer") {
            if (value != "adam" && value != "sgd") return fail("adam or sgd");
            o.optimizer = value;
        } else if (flag == "--out") {
            if (value.empty()) return fail("a folder name");
            o.out = value;
        }  // every other flag was rejected by the first pass
    }
    // The blog recipe is full-batch: a new --train-size moves the batch along with it.
    if (o.recipe == "blog" && train_given && !batch_given) o.batch_size = o.train_size;
    if (o.batch_size > o.train_size) {
        error = "--batch-size " + std::to_string(o.batch_size) + " is larger than --train-size " +
                std::to_string(o.train_size);
        return false;
    }
    options = o;
    return true;
}

std::string help_text(const char* program) {
    const Options a = recipe_defaults("adam"), b = recipe_defaults("blog");
    auto num = [](double v) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", v);
        return std::string(text);
    };
    auto n = [](auto v) { return std::to_string(v); };
    return std::string("usage: ") + program + " [flags]\n" +
           "\n"
           "Trains the blog workload with tapegrad: the network\n"
           "    Dense(1,32) Sigmoid, Dense(32,32) Sigmoid, Dense(32,16) Sigmoid,\n"
           "    Dense(16,16) Sigmoid, Dense(16,1) Tanh\n"
           "on y = 0.8 clip((0.75 - |x|) / 0.5, 0, 1), x uniform in [-1, 1], with the loss\n"
           "(1/2N) sum (pred - y)^2, and reports the RMSE on a separate test sample.\n"
           "\n"
           "Recipes (a recipe sets the defaults; every flag below overrides them):\n"
           "  adam  (the default) Adam on shuffled minibatches: lr " +
           num(a.lr) + ", batches of " + n(a.batch_size) +
           "\n"
           "        from " +
           n(a.train_size) + " points, " + n(a.epochs) +
           " epochs. The learning rate stays at lr for "
           "the first\n"
           "        half of the epochs, then falls along a cosine to lr/100 at the last one.\n"
           "  blog  the original write-up: full-batch plain gradient descent (--optimizer sgd,\n"
           "        no momentum, no decay), " +
           n(b.epochs) + " epochs on " + n(b.train_size) + " points, lr " + num(b.lr) +
           ".\n"
           "        The write-up gives neither its learning rate nor its training-set size;\n"
           "        these are this example's choice: after 20,000 epochs the loss was still on\n"
           "        its initial plateau with lr 0.1 and with lr 2, while " +
           num(b.lr) +
           " trained steadily.\n"
           "\n"
           "Flags (--flag value or --flag=value):\n"
           "  --recipe adam|blog    see above\n"
           "  --optimizer adam|sgd  the update rule (sgd: p -= lr * gradient)\n"
           "  --lr X                the learning rate (the peak one under the adam recipe)\n"
           "  --epochs N            passes over the training set\n"
           "  --batch-size N        examples per step; N = --train-size: full batch\n"
           "  --train-size N        training points (adam: " +
           n(a.train_size) + ", blog: " + n(b.train_size) +
           "; blog keeps\n"
           "                        the batch equal to it)\n"
           "  --test-size N         test points (" +
           n(a.test_size) +
           ")\n"
           "  --seed S              seeds the data, the weights and the batch order (" +
           n(a.seed) +
           ")\n"
           "  --out DIR             where loss.csv, predictions.csv and the PNGs go\n"
           "                        (" +
           a.out +
           ")\n"
           "  --check               first compare the network's gradients three ways (tape,\n"
           "                        tg::nn::reference, central finite differences), print the\n"
           "                        largest disagreement per layer, exit 1 if they disagree\n"
           "  --max-rmse X          exit 1 when the final test RMSE is above X\n"
           "  --distributed         split each batch between MPI ranks (run under\n"
           "                        mpirun -np R; needs tapegrad built with MPI)\n"
           "  --threads K           split each batch between K worker threads\n"
           "                        (tg::nn::DataParallel; batches under 2 x 128 rows stay\n"
           "                        on one thread; 1 = plain tape.backward, the default)\n"
           "  --help                this text\n"
           "\n"
           "Progress goes to stderr (one line rewritten in place on a terminal), the summary\n"
           "to stdout. A bad flag or value prints one line and exits with status 2.\n";
}

}  // namespace trapezoid
