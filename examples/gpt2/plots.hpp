#pragma once
// The GPT-2 example's loss curve, drawn by gnuplot from CSV files written next to it.

#include <filesystem>
#include <vector>

namespace gpt2 {

/// One training step: the batch's loss and the learning rate it used.
struct StepRecord {
    long step;
    double loss;
    double lr;
};

/// An evaluation of the validation text's mean loss.
struct EvalRecord {
    long step;
    double val_loss;
};

/// Writes loss.csv (step,batch_loss,lr), eval.csv (step,val_loss) and loss.gp into `dir`;
/// unless `draw` is false, draws loss.png (the losses above, the learning rate below).
bool write_loss_curve(const std::filesystem::path& dir, const std::vector<StepRecord>& steps,
                      const std::vector<EvalRecord>& evals, bool draw);

}  // namespace gpt2
