#pragma once
// The sequence example's pictures, drawn by gnuplot from files written next to them: the
// training curve against the trivial baseline, and predictions against the truth.

#include <cstddef>
#include <filesystem>
#include <vector>

namespace sequence {

/// One epoch's figures.
struct EpochRecord {
    long epoch;
    double train_loss;  ///< mean training MSE over the epoch's steps
    double test_mse;    ///< after the epoch
    double lr;          ///< the learning rate during the epoch
    double clipped;     ///< the fraction of the epoch's steps whose gradient was clipped
};

/// Writes history.csv and training_curve.gp and draws training_curve.png: the training
/// loss and the test MSE per epoch (log scale) with the baseline's MSE as a line.
bool plot_training_curve(const std::filesystem::path& dir, const std::vector<EpochRecord>& history,
                         double baseline_mse);

/// One test sequence to draw: its values, its markers, the target and the prediction.
struct Example {
    std::vector<double> values, markers;
    double target, predicted;
};

/// Writes predictions.csv (target, prediction per test sequence), examples.dat and
/// predictions.gp, and draws predictions.png: predicted against true sums for every test
/// sequence, and a few sequences with their marked values, target and prediction.
bool plot_predictions(const std::filesystem::path& dir, const std::vector<double>& targets,
                      const std::vector<double>& predicted, const std::vector<Example>& examples);

}  // namespace sequence
