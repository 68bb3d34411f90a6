// Activation checkpointing (tg::checkpoint) on examples/tiny_transformer's model in float:
// one training step (forward, next-character cross-entropy, backward, AdamW) at batch 4
// and sequence length N (64, 256, 1024; the position table grows with N), each block
// plain or under tg::checkpoint (Config::checkpoint_blocks).
//   plain          the example's model
//   checkpointed   every block recomputed in backward
// Counter "saved_MiB": what the tape keeps for backward after the forward pass
// (tape.bytes()). Names are checkpoint/<variant>/float/<N>; the table at the end gives the
// ratios of the step times to plain.

#include <benchmark/benchmark.h>

#include <tapegrad/nn.hpp>
#include <tapegrad/tapegrad.hpp>

#include "../examples/tiny_transformer/model.hpp"
#include "../examples/tiny_transformer/text.hpp"
#include "benchmark_main.hpp"

namespace {

namespace nn = tg::nn;
using namespace tiny_transformer;
using T = float;

void step(benchmark::State& state, bool checkpointed) {
    const auto length = static_cast<std::size_t>(state.range(0));
    const std::string text = make_corpus(60000, 2026);
    const Vocabulary vocab(text);
    Config config;
    config.vocab = vocab.size();
    config.context = length;
    config.checkpoint_blocks = checkpointed;
    nn::Rng rng(1), batch_rng(2);
    TinyTransformer<T> model(config, rng);
    const auto [x, y] = random_batch(vocab.encode(text), 4, length, batch_rng);
    tg::optim::AdamW<T> optimizer(model.parameters(), T(1e-3));
    double saved_bytes = 0;
    auto one_step = [&] {
        tg::Tape tape;
        const tg::Tensor<T> loss = examples::next_token_loss<T>(model(x), y);
        saved_bytes = static_cast<double>(tape.bytes());
        tape.backward(loss);
        optimizer.step();
        optimizer.zero_grad();
    };
    one_step();
    for (auto _ : state) one_step();
    state.counters["saved_MiB"] = saved_bytes / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
    for (const bool checkpointed : {false, true}) {
        const std::string name =
            std::string("checkpoint/") + (checkpointed ? "checkpointed" : "plain") + "/float";
        benchmark::RegisterBenchmark(name.c_str(), step, checkpointed)
            ->Arg(64)
            ->Arg(256)
            ->Arg(1024)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
    tg::bench::RatioTable table("plain");
    return tg::bench::run_benchmarks(argc, argv, &table);
}
