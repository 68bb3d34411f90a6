// A character-level transformer language model, trained from scratch on text generated
// by a small grammar (text.cpp): token and learned position embeddings, 2 pre-LayerNorm
// blocks of causal multi-head self-attention and a GELU MLP, a final LayerNorm and a
// Dense layer to the characters (model.hpp). Trained with AdamW, a linear warmup then a
// cosine decay of the learning rate, and gradient clipping, on random windows of the
// text; every --log-every steps it prints the losses and a sample drawn with a
// temperature. At the end: the final train and validation loss against the unigram
// baseline (the entropy of the character frequencies), a last sample, loss.csv, eval.csv
// and loss.png. Every --log-every steps it writes a training checkpoint (checkpoint.npz,
// tg::nn::TrainingCheckpoint: the model, AdamW, the schedule, the batch and sample
// generators), which --resume continues bit for bit.
//
// --side-by-side DIR writes what examples/tiny_transformer/side_by_side.py needs to
// train the same model in PyTorch and compare the losses (in double).
//
// Bad input fails cleanly (common/fail.hpp): a bad flag, or sizes that memory cannot
// hold, exit 2; an output folder that cannot be written (checked before training), or a
// loss that stops being finite, exit 1; one line on stderr.

#include <tapegrad/tapegrad.hpp>
#include <xtensor/xnpy.hpp>

#include "../common/cli.hpp"
#include "../common/fail.hpp"
#include "../common/memory.hpp"
#include "../common/resume.hpp"
#include "../common/tools.hpp"
#include "model.hpp"
#include "plots.hpp"
#include "text.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>
#include <string>

namespace {

namespace nn = tg::nn;
namespace optim = tg::optim;
using namespace tiny_transformer;

/// Characters of generated text, and the grammar's seed (fixed: the text does not change
/// with --seed); the last 10 % is the validation text.
constexpr std::size_t kCorpusChars = 60000;
constexpr std::uint64_t kCorpusSeed = 2026;
/// Steps of the PyTorch comparison.
constexpr long kSideBySideSteps = 10;

struct Options {
    long steps = 1000;
    std::size_t batch_size = 32;
    double lr = 3e-3;
    double min_lr = 3e-4;
    long warmup = 100;
    double weight_decay = 1e-2;
    double clip = 1.0;
    std::size_t context = 64;
    std::size_t d_model = 64;
    std::size_t heads = 4;
    std::size_t layers = 2;
    std::uint64_t seed = 1;
    long log_every = 200;
    long eval_every = 50;
    double temperature = 0.8;
    std::size_t sample_length = 300;
    std::string prompt = "the ";
    std::string out = "tiny_transformer-out";
    std::string side_by_side;
    bool resume = false;
    long stop_after = 0;  ///< > 0: stop after this many steps, as a killed run would
    bool check = false;
    bool check_loss = false;
    bool plots = true;
};

/// The validation loss --check requires, as a fraction of the unigram baseline.
constexpr double kCheckFraction = 0.25;
/// The longest final sample, in characters (each is one forward pass over up to --context
/// characters: about 1 ms at the defaults).
constexpr std::uint64_t kMaxSampleLength = 10000;

/// The training and validation ids, and the vocabulary.
struct Corpus {
    std::string text;
    Vocabulary vocab;
    std::vector<std::size_t> train, val;
    double unigram;  ///< entropy of the training text's character frequencies (nats)

    Corpus() : text(make_corpus(kCorpusChars, kCorpusSeed)), vocab(text) {
        const std::vector<std::size_t> ids = vocab.encode(text);
        const std::size_t cut = ids.size() * 9 / 10;
        train.assign(ids.begin(), ids.begin() + long(cut));
        val.assign(ids.begin() + long(cut), ids.end());
        unigram = unigram_entropy(train, vocab.size());
    }
};

Config config_of(const Options& o, const Corpus& c) {
    Config config;
    config.vocab = c.vocab.size();
    config.context = o.context;
    config.d_model = o.d_model;
    config.heads = o.heads;
    config.layers = o.layers;
    config.mlp = 4 * o.d_model;
    return config;
}

/// AdamW with the model's parameters and the schedule: a linear warmup from lr / 100 to
/// lr over `warmup` steps, then a cosine from lr to min_lr over the remaining steps
/// (stepped once per training step).
template <class T>
struct Training {
    TinyTransformer<T> model;
    optim::AdamW<T> optimizer;
    std::unique_ptr<optim::SequentialLR<T>> schedule;

    Training(const Options& o, const Config& config, nn::Rng& rng)
        : model(config, rng), optimizer(model.parameters(), T(o.lr), adamw(o)) {
        std::vector<std::unique_ptr<optim::LRScheduler<T>>> phases;
        phases.push_back(std::make_unique<optim::LinearLR<T>>(optimizer, 0.01, 1.0, o.warmup));
        phases.push_back(
            std::make_unique<optim::CosineAnnealingLR<T>>(optimizer, o.steps - o.warmup, o.min_lr));
        schedule = std::make_unique<optim::SequentialLR<T>>(optimizer, std::move(phases),
                                                            std::vector<std::int64_t>{o.warmup});
    }

    /// One step on (x, y): forward, loss, backward, clipping, update, schedule; the loss.
    double step(const examples::Tokens& x, const examples::Tokens& y, double clip) {
        const tg::Tensor<T> loss = examples::next_token_loss(model(x), y);
        loss.backward();
        nn::clip_grad_norm_(model.parameters(), clip);
        optimizer.step();
        schedule->step();
        optimizer.zero_grad();
        return double(loss.item());
    }

    static optim::AdamWOptions adamw(const Options& o) {
        optim::AdamWOptions a;
        a.weight_decay = o.weight_decay;
        return a;
    }
};

/// Throws UsageError when the run cannot fit in memory. Bytes in float (twice that in
/// double), fitted to the peak resident memory (less an idle run's 23 MiB) of runs with
/// --batch-size, --context, --d-model, --heads and --layers raised in turn; within 25 %
/// of each above 50 MiB (--batch-size 1024: 858 MiB estimated, 934 MiB measured;
/// --d-model 512: 410 and 444 MiB; --layers 16: 239 and 199 MiB):
///     per parameter          40 (value, gradient, AdamW's two moments, the update's
///                            temporaries)
///     per character of a     4 (20 E + 1.5 heads L) per layer (activations, attention
///     batch (N L of them)    weights and their gradients) + 12 vocab (logits, softmax)
template <class T>
void check_memory(const Options& o, std::size_t vocab) {
    const double e = double(o.d_model), l = double(o.context), layers = double(o.layers),
                 v = double(vocab), f = double(sizeof(T)) / 4;
    const double parameters = (2 * v + l) * e + v + layers * (12 * e * e + 13 * e) + 2 * e;
    const double per_char = layers * (20 * e + 1.5 * double(o.heads) * l) * 4 + 12 * v;
    const double bytes = f * (40 * parameters + double(o.batch_size) * l * per_char);
    examples::check_memory(bytes, "--batch-size " + std::to_string(o.batch_size) + ", --context " +
                                      std::to_string(o.context) + ", --d-model " +
                                      std::to_string(o.d_model) + ", --heads " +
                                      std::to_string(o.heads) + " and --layers " +
                                      std::to_string(o.layers));
}

/// `text` with every line after the first indented, for the log.
std::string indented(const std::string& text) {
    std::string out = "    ";
    for (char c : text) out += c == '\n' ? std::string("\n    ") : std::string(1, c);
    return out;
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // KiB on Linux
}

/// The comparison with PyTorch (double, the same code path as training): init.npz, the
/// first batches, their losses and config.txt in `dir`.
int write_side_by_side(const Options& o, const Corpus& c) {
    using T = double;
    const std::filesystem::path dir = o.side_by_side;
    check_memory<T>(o, c.vocab.size());
    examples::check_output_dir("--side-by-side", dir, {"init.npz", "config.txt", "losses.txt"});
    nn::Rng rng(o.seed), batch_rng(o.seed + 1);
    Training<T> t(o, config_of(o, c), rng);
    nn::save(t.model, (dir / "init.npz").string());
    const Config& config = t.model.config();
    std::ostringstream cfg;
    cfg.precision(17);
    cfg << "vocab " << config.vocab << "\ncontext " << config.context << "\nd_model "
        << config.d_model << "\nheads " << config.heads << "\nlayers " << config.layers << "\nmlp "
        << config.mlp << "\nlr " << o.lr << "\nmin_lr " << o.min_lr << "\nwarmup " << o.warmup
        << "\nwarmup_start_factor 0.01\nsteps " << o.steps << "\nweight_decay " << o.weight_decay
        << "\nbeta1 " << t.optimizer.options().beta1 << "\nbeta2 " << t.optimizer.options().beta2
        << "\neps " << t.optimizer.options().eps << "\nclip " << o.clip
        << "\nlayer_norm_eps 1e-05\nbatches " << kSideBySideSteps << "\n";
    tg::Tape tape;  // records each step; loss.backward() runs it and releases its entries
    std::string losses;
    for (long k = 0; k < kSideBySideSteps; ++k) {
        const auto [x, y] = random_batch(c.train, o.batch_size, o.context, batch_rng);
        xt::dump_npy((dir / ("x_" + std::to_string(k) + ".npy")).string(), x.value());
        xt::dump_npy((dir / ("y_" + std::to_string(k) + ".npy")).string(), y.value());
        char line[64];
        std::snprintf(line, sizeof line, "%.17g\n", t.step(x, y, o.clip));
        losses += line;
    }
    if (!examples::write_text(dir / "config.txt", cfg.str()) ||
        !examples::write_text(dir / "losses.txt", losses))
        return 1;
    std::printf("tiny_transformer: %ld steps in double written to %s\n", kSideBySideSteps,
                dir.string().c_str());
    return 0;
}

int train(const Options& o, const Corpus& c) {
    using T = float;
    const std::filesystem::path dir = o.out;
    check_memory<T>(o, c.vocab.size());
    examples::check_output_dir("--out", dir,
                               {"checkpoint.npz", "model.npz", "loss.csv", "eval.csv"});
    nn::Rng rng(o.seed), batch_rng(o.seed + 1), sample_rng(o.seed + 2);
    Training<T> t(o, config_of(o, c), rng);
    nn::TrainingCheckpoint<T> checkpoint;
    checkpoint.add_module("model", t.model)
        .add_optimizer("optimizer", t.optimizer)
        .add_scheduler("schedule", *t.schedule)
        .add_rng("batches", batch_rng)
        .add_rng("samples", sample_rng);
    // What a resumed run must share with the run it continues (--steps, --warmup, --lr
    // and --min-lr shape the schedule, whose settings the checkpoint checks itself; the
    // model's sizes are checked by its shapes).
    const auto exact = [](double v) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", v);
        return std::string(text);
    };
    const std::map<std::string, std::string> flags{{"--seed", std::to_string(o.seed)},
                                                   {"--batch-size", std::to_string(o.batch_size)},
                                                   {"--context", std::to_string(o.context)},
                                                   {"--weight-decay", exact(o.weight_decay)},
                                                   {"--clip", exact(o.clip)},
                                                   {"--log-every", std::to_string(o.log_every)},
                                                   {"--temperature", exact(o.temperature)},
                                                   {"--prompt", o.prompt}};
    const long first_step =
        examples::resume_or_start(checkpoint, dir / "checkpoint.npz", o.resume, flags);
    if (o.resume) std::printf("resumed after step %ld\n", first_step);
    std::vector<std::size_t> prompt = c.vocab.encode(o.prompt);
    // The training loss is evaluated on a slice of the training text as long as the
    // validation text, so both cost the same.
    const std::vector<std::size_t> train_slice(c.train.begin(),
                                               c.train.begin() + long(c.val.size()));
    std::printf(
        "tiny_transformer: %zu characters of generated text (%zu training, %zu validation), "
        "%zu distinct\nmodel: %zu parameters, context %zu, d_model %zu, %zu heads, %zu layers\n"
        "unigram baseline (entropy of the character frequencies): %.4f nats per character\n",
        c.text.size(), c.train.size(), c.val.size(), c.vocab.size(), nn::num_parameters(t.model),
        o.context, o.d_model, o.heads, o.layers, c.unigram);

    std::vector<StepRecord> steps;
    std::vector<EvalRecord> evals;
    evals.push_back({0, evaluate(t.model, train_slice), evaluate(t.model, c.val)});
    std::printf("step %5d  train %.4f  validation %.4f\n", 0, evals.back().train_loss,
                evals.back().val_loss);
    tg::Tape tape;  // records each step; loss.backward() runs it and releases its entries
    const auto start = std::chrono::steady_clock::now();
    auto seconds = [&start] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    double recent = 0;
    for (long step = first_step + 1; step <= o.steps; ++step) {
        const double lr = double(t.optimizer.learning_rate());
        const auto [x, y] = random_batch(c.train, o.batch_size, o.context, batch_rng);
        const double loss = t.step(x, y, o.clip);
        examples::stop_if_diverged(loss, "at step " + std::to_string(step),
                                   "try a smaller --lr or --weight-decay");
        steps.push_back({step, loss, lr});
        recent += loss;
        const bool log = step % o.log_every == 0 || step == o.steps;
        if (log || step % o.eval_every == 0)
            evals.push_back({step, evaluate(t.model, train_slice), evaluate(t.model, c.val)});
        if (log) {
            const long n = step % o.log_every ? step % o.log_every : o.log_every;
            std::printf(
                "step %5ld  batch loss %.4f  train %.4f  validation %.4f  lr %.2e  %.1f s\n", step,
                recent / double(n), evals.back().train_loss, evals.back().val_loss, lr, seconds());
            recent = 0;
            if (step != o.steps)
                std::printf("%s\n", indented(c.vocab.decode(examples::generate(
                                                 t.model, prompt, 120, o.temperature, sample_rng)))
                                        .c_str());
            std::fflush(stdout);
        }
        if (log || step == o.stop_after) {
            checkpoint.step = step;
            checkpoint.save((dir / "checkpoint.npz").string());
        }
        if (step == o.stop_after) {
            std::printf("stopped after step %ld (--stop-after); --resume continues\n", step);
            examples::print_parameter_hash(t.model);
            return 0;
        }
    }
    const double elapsed = seconds();
    const EvalRecord& last = evals.back();
    std::printf("\nsample (temperature %.2f):\n%s\n\n", o.temperature,
                indented(c.vocab.decode(examples::generate(t.model, prompt, o.sample_length,
                                                           o.temperature, sample_rng)))
                    .c_str());
    std::printf(
        "final loss after %ld steps (%.1f s, %.1f ms per step): train %.4f, validation %.4f "
        "nats per character; unigram baseline %.4f (validation / baseline = %.3f)\n",
        o.steps, elapsed, 1e3 * elapsed / double(o.steps), last.train_loss, last.val_loss,
        c.unigram, last.val_loss / c.unigram);
    write_loss_curve(dir, steps, evals, c.unigram, o.plots);
    nn::save(t.model, (dir / "model.npz").string());
    std::printf("wrote %s\n", (dir / "model.npz").string().c_str());
    examples::print_parameter_hash(t.model);
    const tg::MemoryStats pool = tg::memory_stats();
    std::printf("peak resident memory %.1f MiB; tapegrad's pool holds %.1f MiB for reuse\n",
                double(peak_rss_kib()) / 1024, double(pool.cached_bytes) / (1024 * 1024));
    if (o.check_loss && !(last.val_loss < 0.8 * evals.front().val_loss)) {
        std::fprintf(stderr,
                     "tiny_transformer: the validation loss did not fall below 0.8 times its "
                     "initial %.4f\n",
                     evals.front().val_loss);
        return 1;
    }
    if (o.check && !(last.val_loss < kCheckFraction * c.unigram)) {
        std::fprintf(stderr,
                     "tiny_transformer: validation loss %.4f is not below %.2f x the unigram "
                     "baseline %.4f\n",
                     last.val_loss, kCheckFraction, c.unigram);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app(
        "Trains a 2-layer character-level transformer language model with tapegrad on text "
        "generated from a small grammar, and samples from it.",
        "tiny_transformer");
    app.option_defaults()->always_capture_default();
    const auto count = [](std::uint64_t lo) { return examples::whole_number(lo, 1000000); };
    app.add_option("--steps", o.steps, "training steps")->check(count(1));
    app.add_option("--batch-size", o.batch_size, "windows per step")->check(count(1));
    app.add_option("--lr", o.lr, "AdamW's peak learning rate")->check(examples::kPositiveFloat);
    app.add_option("--min-lr", o.min_lr, "the learning rate the cosine ends at")
        ->check(examples::kNonNegativeFloat);
    app.add_option("--warmup", o.warmup,
                   "steps of linear warmup (from lr / 100), fewer than --steps")
        ->check(count(1));
    app.add_option("--weight-decay", o.weight_decay, "AdamW's decoupled weight decay")
        ->check(examples::kNonNegativeFloat);
    app.add_option("--clip", o.clip, "the gradients' largest norm (clip_grad_norm_)")
        ->check(examples::kPositiveFloat);
    app.add_option("--context", o.context, "characters per window (sequence length)")
        ->check(examples::whole_number(2, 1024));
    app.add_option("--d-model", o.d_model, "width of the model")->check(count(1));
    app.add_option("--heads", o.heads, "attention heads (must divide --d-model)")->check(count(1));
    app.add_option("--layers", o.layers, "transformer blocks")->check(count(1));
    app.add_option("--seed", o.seed, "seeds the weights, the batches and the samples")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    app.add_option("--log-every", o.log_every, "steps between printed losses and samples")
        ->check(count(1));
    app.add_option("--eval-every", o.eval_every,
                   "steps between evaluations of the train and validation loss (eval.csv)")
        ->check(count(1));
    app.add_option("--temperature", o.temperature, "divides the logits when sampling")
        ->check(examples::kPositiveNumber);
    app.add_option("--sample-length", o.sample_length, "characters of the final sample")
        ->check(examples::whole_number(0, kMaxSampleLength));
    app.add_option("--prompt", o.prompt, "the text samples start from");
    app.add_option("--out", o.out,
                   "where checkpoint.npz, loss.csv, eval.csv, loss.png and model.npz go");
    auto* resume = examples::add_resume_flags(app, o.resume, o.stop_after, "steps", 10000000);
    app.add_option("--side-by-side", o.side_by_side,
                   "write the initial weights, the first 10 batches and their losses (double) "
                   "into this folder for side_by_side.py, and stop")
        ->excludes(resume);
    app.add_flag(
        "--check", o.check,
        "exit 1 unless the final validation loss is below a quarter of the unigram baseline");
    app.add_flag("--check-loss", o.check_loss,
                 "exit 1 unless the final validation loss is below 0.8 times the initial one");
    app.add_flag("!--no-plots", o.plots, "skip the picture (the CSV files are still written)");
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;
    auto usage_error = [](const std::string& what) {
        std::fprintf(stderr, "tiny_transformer: %s (see --help)\n", what.c_str());
        return 2;
    };
    if (o.d_model % o.heads)
        return usage_error("--heads " + std::to_string(o.heads) + " does not divide --d-model " +
                           std::to_string(o.d_model));
    if (o.warmup >= o.steps)
        return usage_error("--warmup " + std::to_string(o.warmup) + " must be fewer than --steps " +
                           std::to_string(o.steps));
    if (!(o.min_lr >= 0 && o.min_lr <= o.lr)) return usage_error("--min-lr must be in [0, --lr]");

    const Corpus corpus;
    try {
        corpus.vocab.encode(o.prompt);
    } catch (const std::exception& e) {
        return usage_error("--prompt: " + std::string(e.what()));
    }
    if (o.prompt.empty()) return usage_error("--prompt is empty");
    return examples::run_main("tiny_transformer", [&] {
        return o.side_by_side.empty() ? train(o, corpus) : write_side_by_side(o, corpus);
    });
}
