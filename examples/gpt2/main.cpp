// GPT-2 trained from scratch, byte by byte, on stories the example generates (text.cpp):
// token and position embeddings (wte, wpe), pre-LayerNorm blocks of causal self-attention
// and a tanh-GELU MLP, a final LayerNorm, and the logits through the token table again
// (weight tying) -- GPT-2's modules under GPT-2's parameter names (model.hpp). AdamW, a
// linear warmup then a cosine decay, gradient clipping (train.hpp), random windows of the
// text; every --log-every steps it prints the losses and a sample and writes a training
// checkpoint (checkpoint.npz: the model, AdamW, the schedule and the generators), which
// --resume continues bit for bit. At the end: the validation loss, a sample, loss.csv,
// eval.csv, loss.png and model.safetensors (GPT-2's names, loadable with --init).
//
// --init FILE starts from weights: llm.c's checkpoint (train_gpt2.c's .bin), or a
// GPT-2-named .npz or .safetensors (this example's, or Hugging Face's GPT-2); the sizes
// come from the file.
//
// --peer-steps N repeats llm.c's step driver (../shared/peers/llmc/driver.c) on the
// weights of --init: N steps on one batch of B·T + 1 tokens drawn by llm.c's xorshift
// random_u32 from state 1234 (modulo the vocabulary), AdamW at lr 1e-4 (betas 0.9, 0.999,
// eps 1e-8, no weight decay, no clipping, no schedule), one JSON line per step with its
// time and loss, as the peer prints. The llm.c agreement test and
// benchmarks/gpt2_vs_peers.sh run it; --profile adds the last step's tg::Profiler table.
//
// Bad input fails cleanly (common/fail.hpp): a bad flag or sizes that memory cannot hold
// exit 2; an unreadable --init, an unwritable --out or a loss that stops being finite
// exit 1; one line on stderr.

#include <tapegrad/memory.hpp>
#include <tapegrad/tapegrad.hpp>

#include "../common/cli.hpp"
#include "../common/fail.hpp"
#include "../common/memory.hpp"
#include "../common/resume.hpp"
#include "../common/tools.hpp"
#include "model.hpp"
#include "plots.hpp"
#include "text.hpp"
#include "train.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <string>

namespace {

namespace nn = tg::nn;
using namespace gpt2;

/// Bytes of generated text and the generator's seed (fixed: the text does not change
/// with --seed); the last 10 % is the validation text.
constexpr std::size_t kTextChars = 200000;
constexpr std::uint64_t kTextSeed = 2026;
/// Validation windows evaluated at each log.
constexpr std::size_t kEvalWindows = 32;

struct Options {
    TrainSettings train;
    std::size_t batch_size = 16;
    Config model;
    std::string init;
    std::uint64_t seed = 1;
    long log_every = 100;
    long eval_every = 25;
    double temperature = 0.7;
    std::size_t sample_length = 200;
    std::string prompt = "Ada has ";
    std::string out = "gpt2-out";
    bool resume = false;
    long stop_after = 0;  ///< > 0: stop after this many steps, as a killed run would
    long peer_steps = 0;
    bool profile = false;
    bool check_loss = false;
    bool plots = true;
};

/// Throws UsageError when a step cannot fit in memory: a rough estimate in float of
/// 40 bytes per parameter (value, gradient, AdamW's two moments, the update's
/// temporaries) and, per token of a batch, 4 bytes times 40 C per layer (activations
/// and their gradients, the MLP's 4C twice), 2 · heads · T per layer (attention weights)
/// and 3 V (logits, softmax, gradient).
void check_memory(const Config& c, std::size_t batch, std::size_t length) {
    const double C = double(c.channels), V = double(c.vocab), L = double(c.layers);
    const double parameters = (V + double(c.context)) * C + L * (12 * C * C + 13 * C) + 2 * C;
    const double per_token = 4 * (L * (40 * C + 2 * double(c.heads) * double(length)) + 3 * V);
    examples::check_memory(40 * parameters + double(batch) * double(length) * per_token,
                           "--batch-size " + std::to_string(batch) + " and the model (" +
                               std::to_string(c.layers) + " layers, " + std::to_string(c.channels) +
                               " channels, vocabulary " + std::to_string(c.vocab) + ")");
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // KiB on Linux
}

/// The process's CPU time in milliseconds (all its threads): with one BLAS thread, the
/// step's own work, which other programs on the machine inflate far less than the wall
/// time (compare --checkpoint with the plain step on a busy machine by it).
double cpu_ms() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return 1e3 * double(now.tv_sec) + 1e-6 * double(now.tv_nsec);
}

/// `text` with every line indented, for the log.
std::string indented(const std::string& text) {
    std::string out = "    ";
    for (char c : text) out += c == '\n' ? std::string("\n    ") : std::string(1, c);
    return out;
}

/// The model, from --init or GPT-2's initialization drawn from `rng`, once its sizes
/// are known to fit in memory with batches of `batch` windows of up to `length` tokens.
GPT2<float> make_model(const Options& o, nn::Rng& rng, std::size_t batch, std::size_t length) {
    if (o.init.empty()) {
        check_memory(o.model, batch, length);
        return GPT2<float>(o.model, rng);
    }
    Weights w = read_weights(o.init, o.model.heads);
    w.config.checkpoint_blocks = o.model.checkpoint_blocks;
    check_memory(w.config, batch, std::min(length, w.config.context));
    GPT2<float> model(w.config, rng);
    load_weights(model, w, o.init);
    return model;
}

/// llm.c's xorshift* generator (train_gpt2.c's random_u32), for the same tokens.
std::uint32_t random_u32(std::uint64_t& state) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return std::uint32_t((state * 0x2545F4914F6CDD1Dull) >> 32);
}

/// --peer-steps: llm.c's driver.c, step for step (see the top of this file).
int peer_steps(const Options& o) {
    if (o.init.empty()) throw examples::UsageError("--peer-steps needs --init CHECKPOINT");
    nn::Rng rng(o.seed);
    const std::size_t b = o.batch_size, t = o.model.context;
    GPT2<float> model = make_model(o, rng, b, t);
    const Config& c = model.config();
    if (t > c.context)
        throw examples::UsageError("--context " + std::to_string(t) + " is longer than the " +
                                   "checkpoint's " + std::to_string(c.context) + " positions");
    std::uint64_t state = 1234;
    std::vector<std::size_t> tokens(b * t + 1);
    for (std::size_t& id : tokens) id = random_u32(state) % std::uint32_t(c.vocab);
    tg::Array<std::int64_t> x = tg::Array<std::int64_t>::from_shape({b, t}), y = x;
    for (std::size_t i = 0; i < b * t; ++i) {
        x.data()[i] = std::int64_t(tokens[i]);
        y.data()[i] = std::int64_t(tokens[i + 1]);
    }
    const examples::Tokens inputs(std::move(x)), targets(std::move(y));
    tg::optim::AdamWOptions adamw;
    adamw.beta1 = 0.9;
    adamw.beta2 = 0.999;
    adamw.eps = 1e-8;
    adamw.weight_decay = 0;
    tg::optim::AdamW<float> optimizer(model.parameters(), 1e-4f, adamw);
    tg::Tape tape;          // records each step; loss.backward() runs it and releases its entries
    tg::Profiler profiler;  // --profile: the last step, per op
    for (long step = 0; step < o.peer_steps; ++step) {
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = cpu_ms();
        std::optional<tg::ProfileGuard> profiling;
        if (o.profile && step + 1 == o.peer_steps) profiling.emplace(profiler);
        const tg::Tensor<float> loss = examples::next_token_loss(model(inputs), targets);
        loss.backward();
        {
            tg::ProfileRange update("AdamW step");
            optimizer.step();
        }
        optimizer.zero_grad();
        profiling.reset();
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        std::printf(
            "{\"peer\":\"tapegrad\",\"B\":%zu,\"T\":%zu,\"step\":%ld,\"ms\":%.3f,"
            "\"loss\":%.6f,\"cpu_ms\":%.3f}\n",
            b, t, step, ms, double(loss.item()), cpu_ms() - cpu_start);
        std::fflush(stdout);
    }
    if (o.profile) std::printf("%s", profiler.table().c_str());
    const tg::MemoryStats pool = tg::memory_stats();
    std::printf(
        "peak resident memory %.1f MiB; tensors at most %.1f MiB (pool blocks), %.1f "
        "MiB cached at the end\n",
        double(peak_rss_kib()) / 1024, double(pool.peak_allocated_bytes) / (1 << 20),
        double(pool.cached_bytes) / (1 << 20));
    return 0;
}

/// The text as training and validation ids.
struct Corpus {
    std::vector<std::size_t> train, val;
    Corpus() {
        const std::vector<std::size_t> ids = encode(make_text(kTextChars, kTextSeed));
        const std::size_t cut = ids.size() * 9 / 10;
        train.assign(ids.begin(), ids.begin() + long(cut));
        val.assign(ids.begin() + long(cut), ids.end());
    }
};

/// A batch of `rows` windows of `length` ids at random starts in `ids`: x and y, x
/// shifted by one position.
std::pair<examples::Tokens, examples::Tokens> random_batch(const std::vector<std::size_t>& ids,
                                                           std::size_t rows, std::size_t length,
                                                           nn::Rng& rng) {
    tg::Array<std::int64_t> x = tg::Array<std::int64_t>::from_shape({rows, length}), y = x;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t start = nn::uniform_index(rng, ids.size() - length);
        for (std::size_t i = 0; i < length; ++i) {
            x(r, i) = std::int64_t(ids[start + i]);
            y(r, i) = std::int64_t(ids[start + i + 1]);
        }
    }
    return {examples::Tokens(std::move(x)), examples::Tokens(std::move(y))};
}

/// The mean loss over the first kEvalWindows windows of `ids`, without gradients.
double evaluate(GPT2<float>& model, const std::vector<std::size_t>& ids, std::size_t length) {
    tg::NoGradGuard no_grad;
    const std::size_t rows = std::min(kEvalWindows, (ids.size() - 1) / length);
    tg::Array<std::int64_t> x = tg::Array<std::int64_t>::from_shape({rows, length}), y = x;
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < length; ++i) {
            x(r, i) = std::int64_t(ids[r * length + i]);
            y(r, i) = std::int64_t(ids[r * length + i + 1]);
        }
    return double(examples::next_token_loss(model(examples::Tokens(std::move(x))),
                                            examples::Tokens(std::move(y)))
                      .item());
}

int train(const Options& o) {
    const std::filesystem::path dir = o.out;
    const Corpus corpus;
    nn::Rng rng(o.seed), batch_rng(o.seed + 1), sample_rng(o.seed + 2);
    GPT2<float> model = make_model(o, rng, o.batch_size, o.model.context);
    const Config& c = model.config();
    const std::size_t length = std::min(o.model.context, c.context);
    if (c.vocab < 256)
        throw examples::UsageError("--init " + o.init + " has a vocabulary of " +
                                   std::to_string(c.vocab) +
                                   " tokens; training on bytes needs at least 256");
    examples::check_output_dir("--out", dir,
                               {"checkpoint.npz", "model.safetensors", "loss.csv", "eval.csv"});
    Trainer<float> trainer(model, o.train);
    nn::TrainingCheckpoint<float> checkpoint;
    checkpoint.add_module("model", model)
        .add_optimizer("optimizer", trainer.optimizer)
        .add_scheduler("schedule", *trainer.schedule)
        .add_rng("batches", batch_rng)
        .add_rng("samples", sample_rng);
    // What a resumed run must share with the run it continues (the schedule's settings
    // the checkpoint checks itself, the model's sizes its shapes).
    const auto exact = [](double v) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", v);
        return std::string(text);
    };
    const std::map<std::string, std::string> flags{
        {"--seed", std::to_string(o.seed)},      {"--batch-size", std::to_string(o.batch_size)},
        {"--context", std::to_string(length)},   {"--weight-decay", exact(o.train.weight_decay)},
        {"--clip", exact(o.train.clip)},         {"--log-every", std::to_string(o.log_every)},
        {"--temperature", exact(o.temperature)}, {"--prompt", o.prompt}};
    const long first_step =
        examples::resume_or_start(checkpoint, dir / "checkpoint.npz", o.resume, flags);
    if (o.resume) std::printf("resumed after step %ld\n", first_step);
    std::printf(
        "gpt2: %zu bytes of generated stories (%zu training, %zu validation)\n"
        "model: %zu parameters, %zu layers, %zu heads, %zu channels, vocabulary %zu, "
        "context %zu (trained on %zu)\n",
        corpus.train.size() + corpus.val.size(), corpus.train.size(), corpus.val.size(),
        nn::num_parameters(model), c.layers, c.heads, c.channels, c.vocab, c.context, length);
    const std::vector<std::size_t> prompt = encode(o.prompt);
    std::vector<StepRecord> steps;
    std::vector<EvalRecord> evals{{first_step, evaluate(model, corpus.val, length)}};
    std::printf("step %5ld  validation %.4f\n", first_step, evals.back().val_loss);
    tg::Tape tape;  // records each step; loss.backward() runs it and releases its entries
    const auto start = std::chrono::steady_clock::now();
    auto seconds = [&start] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    double recent = 0;
    for (long step = first_step + 1; step <= o.train.steps; ++step) {
        const double lr = double(trainer.optimizer.learning_rate());
        const auto [x, y] = random_batch(corpus.train, o.batch_size, length, batch_rng);
        const double loss = trainer.step(model, x, y);
        examples::stop_if_diverged(loss, "at step " + std::to_string(step), "try a smaller --lr");
        steps.push_back({step, loss, lr});
        recent += loss;
        const bool log = step % o.log_every == 0 || step == o.train.steps;
        if (log || step % o.eval_every == 0)
            evals.push_back({step, evaluate(model, corpus.val, length)});
        if (log) {
            const long n = step % o.log_every ? step % o.log_every : o.log_every;
            std::printf("step %5ld  batch loss %.4f  validation %.4f  lr %.2e  %.1f s\n", step,
                        recent / double(n), evals.back().val_loss, lr, seconds());
            recent = 0;
            std::printf(
                "%s\n",
                indented(decode(examples::generate(model, prompt, 100, o.temperature, sample_rng)))
                    .c_str());
            std::fflush(stdout);
            checkpoint.step = step;
            checkpoint.save((dir / "checkpoint.npz").string());
        }
        if (step == o.stop_after) {
            checkpoint.step = step;
            checkpoint.save((dir / "checkpoint.npz").string());
            std::printf("stopped after step %ld (--stop-after); --resume continues\n", step);
            examples::print_parameter_hash(model);
            return 0;
        }
    }
    const double elapsed = seconds();
    std::printf("\nsample (temperature %.2f):\n%s\n\n", o.temperature,
                indented(decode(examples::generate(model, prompt, o.sample_length, o.temperature,
                                                   sample_rng)))
                    .c_str());
    const long ran = o.train.steps - first_step;
    std::printf(
        "final loss after %ld steps (%.1f s, %.1f ms per step): validation %.4f nats "
        "per byte, from %.4f\n",
        o.train.steps, elapsed, ran > 0 ? 1e3 * elapsed / double(ran) : 0.0, evals.back().val_loss,
        evals.front().val_loss);
    write_loss_curve(dir, steps, evals, o.plots);
    nn::save_state_dict(model, (dir / "model.safetensors").string());
    std::printf("wrote %s\n", (dir / "model.safetensors").string().c_str());
    examples::print_parameter_hash(model);
    std::printf("peak resident memory %.1f MiB\n", double(peak_rss_kib()) / 1024);
    if (o.check_loss && !(evals.back().val_loss < 0.5 * evals.front().val_loss)) {
        std::fprintf(stderr, "gpt2: the validation loss %.4f is not below half its initial %.4f\n",
                     evals.back().val_loss, evals.front().val_loss);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app(
        "Trains GPT-2 (GPT-2's modules and parameter names) with tapegrad, byte by byte, on "
        "generated stories, and samples from it; or repeats llm.c's step on its checkpoint.",
        "gpt2");
    app.option_defaults()->always_capture_default();
    const auto count = [](std::uint64_t lo) { return examples::whole_number(lo, 1000000); };
    app.add_option("--steps", o.train.steps, "training steps")->check(count(1));
    app.add_option("--batch-size", o.batch_size, "windows per step")->check(count(1));
    app.add_option("--lr", o.train.lr, "AdamW's peak learning rate")
        ->check(examples::kPositiveFloat);
    app.add_option("--min-lr", o.train.min_lr, "the learning rate the cosine ends at")
        ->check(examples::kNonNegativeFloat);
    app.add_option("--warmup", o.train.warmup,
                   "steps of linear warmup (from lr / 100), fewer than --steps")
        ->check(count(1));
    app.add_option("--weight-decay", o.train.weight_decay, "AdamW's decoupled weight decay")
        ->check(examples::kNonNegativeFloat);
    app.add_option("--clip", o.train.clip, "the gradients' largest norm (clip_grad_norm_)")
        ->check(examples::kPositiveFloat);
    app.add_option("--context", o.model.context,
                   "tokens per window (T); without --init also the model's positions")
        ->check(examples::whole_number(2, 4096));
    app.add_option("--channels", o.model.channels, "width of the model (C)")->check(count(1));
    app.add_option("--heads", o.model.heads,
                   "attention heads (must divide --channels; also for --init's named files)")
        ->check(count(1));
    app.add_option("--layers", o.model.layers, "transformer blocks")->check(count(1));
    app.add_option("--init", o.init,
                   "start from these weights: llm.c's .bin, or a GPT-2-named .npz or "
                   ".safetensors (the sizes come from the file)")
        ->check(CLI::ExistingFile);
    app.add_flag("--checkpoint", o.model.checkpoint_blocks,
                 "recompute each block's activations in backward (tg::checkpoint): less "
                 "memory for one more forward pass of the blocks (1.1-1.2x the step at 124M, B=4, "
                 "T=64)");
    app.add_option("--seed", o.seed, "seeds the weights, the batches and the samples")
        ->check(examples::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    app.add_option("--log-every", o.log_every, "steps between losses, samples and checkpoints")
        ->check(count(1));
    app.add_option("--eval-every", o.eval_every,
                   "steps between evaluations of the validation loss (eval.csv)")
        ->check(count(1));
    app.add_option("--temperature", o.temperature, "divides the logits when sampling")
        ->check(examples::kPositiveNumber);
    app.add_option("--sample-length", o.sample_length, "bytes of the final sample")
        ->check(examples::whole_number(0, 10000));
    app.add_option("--prompt", o.prompt, "the text samples start from");
    app.add_option("--out", o.out,
                   "where checkpoint.npz, loss.csv, eval.csv, loss.png and model.safetensors go");
    auto* resume = examples::add_resume_flags(app, o.resume, o.stop_after, "steps", 10000000);
    app.add_option("--peer-steps", o.peer_steps,
                   "repeat llm.c's step driver N times on --init (a JSON line per step), and "
                   "stop")
        ->check(count(1))
        ->excludes(resume);
    app.add_flag("--profile", o.profile,
                 "with --peer-steps: print the last step's profile (tg::Profiler's table)");
    app.add_flag("--check-loss", o.check_loss,
                 "exit 1 unless the final validation loss is below half the initial one");
    app.add_flag("!--no-plots", o.plots, "skip the picture (the CSV files are still written)");
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;
    auto usage_error = [](const std::string& what) {
        std::fprintf(stderr, "gpt2: %s (see --help)\n", what.c_str());
        return 2;
    };
    if (o.init.empty() && o.model.channels % o.model.heads)
        return usage_error("--heads " + std::to_string(o.model.heads) +
                           " does not divide --channels " + std::to_string(o.model.channels));
    if (o.train.warmup >= o.train.steps)
        return usage_error("--warmup " + std::to_string(o.train.warmup) +
                           " must be fewer than --steps " + std::to_string(o.train.steps));
    if (!(o.train.min_lr <= o.train.lr)) return usage_error("--min-lr must be in [0, --lr]");
    if (o.prompt.empty()) return usage_error("--prompt is empty");
    return examples::run_main("gpt2", [&] { return o.peer_steps ? peer_steps(o) : train(o); });
}
