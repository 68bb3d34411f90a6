#pragma once
// The tiny transformer's loss curve, drawn by gnuplot from CSV files written next to it.

#include <filesystem>
#include <vector>

namespace tiny_transformer {

/// One training step: the batch's loss and the learning rate it used.
struct StepRecord {
    long step;
    double loss;
    double lr;
};

/// An evaluation: mean loss over training windows and over the validation text.
struct EvalRecord {
    long step;
    double train_loss;
    double val_loss;
};

/// Writes loss.csv (step,batch_loss,lr), eval.csv (step,train_loss,val_loss) and
/// loss.gp; unless `draw` is false, draws loss.png: the batch losses, the evaluated
/// losses and the unigram baseline, with the learning rate below.
bool write_loss_curve(const std::filesystem::path& dir, const std::vector<StepRecord>& steps,
                      const std::vector<EvalRecord>& evals, double unigram, bool draw);

}  // namespace tiny_transformer
