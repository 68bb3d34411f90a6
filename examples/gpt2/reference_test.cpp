// The GPT-2 example against reference data written by PyTorch 1.13
// (tests/data/gpt2/make_gpt2_reference.py; the test needs no Python):
//
//     reference_test losses DIR    the model and training step, in double
//     reference_test readers DIR   the checkpoint readers
//
// DIR (tests/data/gpt2) holds init.npz, the initial weights of a small GPT-2 under GPT-2's
// names, and steps.npz, the settings, 10 batches and PyTorch's loss at each step.
// `losses`: the model (model.cpp) is loaded from init.npz with load_state_dict, strict,
// and trained on the same batches with the example's Trainer (train.cpp: AdamW, warmup
// then cosine, clipping); every loss must agree to 1e-10. `readers`: init_hf.npz (Hugging
// Face's layout) and init_llmc.bin (llm.c's format) hold the same weights, and
// read_weights must give init.npz's sizes and values (rounded to float, as both files
// are read) exactly. Exit 0 when they do, 1 (saying what differs) when not.

#include "model.hpp"
#include "train.hpp"

#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

namespace {

constexpr double kTolerance = 1e-10;

/// a[k] of a (steps, B, T) array, as (B, T).
tg::Array<double> batch(const tg::Array<double>& a, std::size_t k) {
    tg::Array<double> out = tg::Array<double>::from_shape({a.shape()[1], a.shape()[2]});
    std::copy_n(a.data() + k * out.size(), out.size(), out.data());
    return out;
}

gpt2::Config config_of(const tg::io::NamedArrays<double>& steps) {
    const auto setting = [&](const char* name) { return std::size_t(steps.at(name)(0)); };
    gpt2::Config config;
    config.vocab = setting("vocab");
    config.context = setting("context");
    config.layers = setting("layers");
    config.heads = setting("heads");
    config.channels = setting("channels");
    return config;
}

int readers(const std::string& dir) {
    const gpt2::Config config = config_of(tg::io::load_npz<double>(dir + "/steps.npz"));
    const tg::io::NamedArrays<float> init = tg::io::load_npz<float>(dir + "/init.npz");
    int failures = 0;
    for (const char* file : {"init_hf.npz", "init_llmc.bin"}) {
        const std::string path = dir + "/" + file;
        const gpt2::Weights w = gpt2::read_weights(path, config.heads);
        const gpt2::Config& c = w.config;
        if (c.vocab != config.vocab || c.context != config.context || c.layers != config.layers ||
            c.heads != config.heads || c.channels != config.channels) {
            std::printf("FAIL: %s: sizes V=%zu T=%zu L=%zu heads=%zu C=%zu, not init.npz's\n", file,
                        c.vocab, c.context, c.layers, c.heads, c.channels);
            ++failures;
        }
        if (w.arrays.size() != init.size()) {
            std::printf("FAIL: %s: %zu arrays, init.npz has %zu\n", file, w.arrays.size(),
                        init.size());
            ++failures;
        }
        for (const auto& [name, expected] : init) {
            const auto it = w.arrays.find(name);
            if (it == w.arrays.end() || it->second != expected) {
                std::printf("FAIL: %s: %s %s\n", file, name.c_str(),
                            it == w.arrays.end() ? "is missing" : "differs from init.npz's");
                ++failures;
            }
        }
        std::printf("%s: %zu arrays read%s\n", file, w.arrays.size(),
                    failures ? "" : ", equal to init.npz's");
    }
    return failures ? 1 : 0;
}

int losses(const std::string& dir) {
    using T = double;
    const tg::io::NamedArrays<T> steps = tg::io::load_npz<T>(dir + "/steps.npz");
    const auto setting = [&](const char* name) { return steps.at(name)(0); };
    const gpt2::Config config = config_of(steps);
    gpt2::TrainSettings s;
    s.steps = long(setting("steps"));
    s.warmup = long(setting("warmup"));
    s.lr = setting("lr");
    s.min_lr = setting("min_lr");
    s.weight_decay = setting("weight_decay");
    s.clip = setting("clip");
    tg::nn::Rng rng(0);  // the weights are loaded
    gpt2::GPT2<T> model(config, rng);
    tg::nn::load_state_dict(model, dir + "/init.npz");
    gpt2::Trainer<T> trainer(model, s);
    const tg::Array<T>& xs = steps.at("x");
    const tg::Array<T>& ys = steps.at("y");
    const tg::Array<T>& expected = steps.at("losses");
    if (expected.size() != 10 || xs.shape()[0] != 10 || s.warmup <= 0 || s.warmup >= 10) {
        std::fprintf(stderr, "%s/steps.npz: expected 10 steps with the warmup among them\n",
                     dir.c_str());
        return 1;
    }
    tg::Tape tape;  // records each step; loss.backward() runs it and releases its entries
    double worst = 0;
    std::printf("%4s  %22s  %22s  %9s\n", "step", "tapegrad", "PyTorch", "|diff|");
    for (std::size_t k = 0; k < 10; ++k) {
        // steps.npz holds the ids as whole numbers in T: int64 tokens, as PyTorch's.
        const examples::Tokens x = tg::to_int64(tg::Tensor<T>(batch(xs, k)));
        const examples::Tokens y = tg::to_int64(tg::Tensor<T>(batch(ys, k)));
        const double loss = trainer.step(model, x, y);
        const double diff = std::abs(loss - expected(k));
        worst = std::isnan(diff) ? INFINITY : std::max(worst, diff);
        std::printf("%4zu  %22.17f  %22.17f  %9.2e\n", k, loss, expected(k), diff);
    }
    if (!(worst <= kTolerance)) {
        std::printf("FAIL: largest |diff| %.2e > %g\n", worst, kTolerance);
        return 1;
    }
    std::printf("the losses agree: largest |diff| %.2e <= %g\n", worst, kTolerance);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc == 3 ? argv[1] : "";
    if (mode != "losses" && mode != "readers") {
        std::fprintf(stderr, "usage: %s losses|readers DIR (tests/data/gpt2)\n", argv[0]);
        return 2;
    }
    try {
        return mode == "losses" ? losses(argv[2]) : readers(argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "reference_test: %s\n", e.what());
        return 1;
    }
}
