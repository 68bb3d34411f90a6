#pragma once
// How the GPT-2 example trains, shared with its PyTorch agreement test
// (reference_test.cpp): AdamW, a linear warmup from lr / 100 to lr, then a cosine from
// lr to min_lr over the remaining steps (SequentialLR of LinearLR and CosineAnnealingLR,
// stepped once per step, as PyTorch's), and the gradients clipped to a largest norm.

#include "model.hpp"

#include <tapegrad/optim.hpp>
#include <tapegrad/tape.hpp>

#include <memory>

namespace gpt2 {

/// The optimizer's and the schedule's settings.
struct TrainSettings {
    long steps = 400;      ///< the schedule's length
    long warmup = 40;      ///< steps of warmup, fewer than steps
    double lr = 1e-3;      ///< peak learning rate
    double min_lr = 1e-4;  ///< where the cosine ends
    double weight_decay = 0.1;
    double clip = 1.0;  ///< largest gradient norm
};

/// The model's optimizer and schedule.
template <class T>
struct Trainer {
    tg::optim::AdamW<T> optimizer;
    std::unique_ptr<tg::optim::SequentialLR<T>> schedule;
    double clip;

    Trainer(GPT2<T>& model, const TrainSettings& s);
    /// One step on (x, y): forward, loss, backward, clipping, update, schedule, gradients
    /// dropped; returns the loss.
    double step(GPT2<T>& model, const examples::Tokens& x, const examples::Tokens& y);
};

extern template struct Trainer<float>;
extern template struct Trainer<double>;

}  // namespace gpt2
