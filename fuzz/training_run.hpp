#pragma once
// What training_checkpoint_fuzzer loads into: the fuzz model (fuzz_model.hpp) with an
// AdamW optimizer, a StepLR schedule, a generator and a shuffled DataLoader, each a step
// into training so that every part has state, all added to one tg::nn::TrainingCheckpoint;
// and a fingerprint of all that state, to check that a load that raised changed nothing.

#include <tapegrad/tapegrad.hpp>

#include "fuzz_model.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tg::fuzz {

/// The run: built once, a step into training (see the top of this file).
struct TrainingRun {
    nn::Sequential<double>& net = model();
    optim::AdamW<double> optimizer{net.parameters(), 1e-2};
    optim::StepLR<double> schedule{optimizer, 2};
    nn::Rng rng{7};
    nn::DataLoader<double> loader{Tensor<double>(Array<double>(xt::ones<double>({6, 4}))),
                                  Tensor<double>(Array<double>(xt::zeros<double>({6, 2}))), 4,
                                  {/*shuffle=*/true, false, /*seed=*/3}};
    nn::TrainingCheckpoint<double> checkpoint;

    TrainingRun() {
        auto it = loader.begin();  // one batch handed out: position 1 of epoch 1
        const nn::Batch<double> batch = *it;
        Tape tape;
        tape.backward(sum(square(net(batch.x) - batch.y)));
        optimizer.step();
        schedule.step();
        (void)rng();  // a draw: the generator moves on
        checkpoint.add_module("model", net)
            .add_optimizer("adamw", optimizer)
            .add_scheduler("step", schedule)
            .add_rng("dropout", rng)
            .add_loader("train", loader);
        checkpoint.step = 1;
        checkpoint.metadata["note"] = "fuzz";
    }

    /// Every bit of the run's state: parameters, the optimizer's steps, buffers and group
    /// settings, the schedule's state_dict, the generators, the loader, step and metadata.
    std::string fingerprint() const {
        std::string out;
        const auto bytes = [&](const void* data, std::size_t size) {
            out.append(static_cast<const char*>(data), size);
        };
        const auto number = [&](double x) { bytes(&x, sizeof x); };
        for (const Tensor<double>& p : net.parameters())
            bytes(p.value().data(), p.value().size() * sizeof(double));
        for (std::size_t k = 0; k < optimizer.parameters().size(); ++k) {
            const auto& state = optimizer.state(k);
            number(static_cast<double>(state.step));
            for (const Array<double>& b : state.buffers) bytes(b.data(), b.size() * sizeof(double));
        }
        for (const optim::GroupSettings& g : optimizer.param_groups()) {
            number(g.learning_rate);
            number(g.weight_decay);
            number(g.initial_learning_rate.value_or(-1));
            number(g.momentum.value_or(-1));
        }
        for (const auto& [name, value] : schedule.state_dict()) {
            out += name;
            number(value);
        }
        for (const std::uint64_t w : nn::rng_state(rng)) bytes(&w, sizeof w);
        const nn::DataLoaderState l = loader.state();
        number(static_cast<double>(l.epoch));
        number(static_cast<double>(l.position));
        for (const std::size_t i : l.order) bytes(&i, sizeof i);
        for (const std::uint64_t w : l.rng) bytes(&w, sizeof w);
        number(static_cast<double>(checkpoint.step));
        for (const auto& [key, value] : checkpoint.metadata) out += key + '=' + value + ';';
        return out;
    }
};

/// The run, built once per process.
inline TrainingRun& training_run() {
    static TrainingRun run;
    return run;
}

}  // namespace tg::fuzz
