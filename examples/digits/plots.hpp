#pragma once
// The digits example's pictures, drawn by gnuplot from files written next to them: the
// training curve, the confusion matrix, and a grid of misclassified test digits.

#include "data.hpp"

#include <filesystem>
#include <vector>

namespace digits {

/// One epoch's figures.
struct EpochRecord {
    long epoch;
    double train_loss;
    double test_accuracy;
    double lr;
};

/// Writes history.csv and training_curve.gp, and draws training_curve.png.
bool plot_training_curve(const std::filesystem::path& dir, const std::vector<EpochRecord>& history);

/// Writes confusion.dat (counts[true][predicted]) and confusion.gp, draws confusion.png.
bool plot_confusion(const std::filesystem::path& dir,
                    const std::vector<std::vector<std::size_t>>& counts);

/// Draws up to 24 misclassified test images in misclassified.png, each titled with its
/// true and predicted label (data in misclassified.dat).
bool plot_misclassified(const std::filesystem::path& dir, const Dataset& test,
                        const std::vector<int>& predicted);

}  // namespace digits
