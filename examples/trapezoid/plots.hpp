#pragma once
// The outputs of a run: loss.csv, predictions.csv, and with gnuplot loss.png and
// predictions.png.

#include <tapegrad/array.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace trapezoid {

/// One row of the training curve.
struct CurvePoint {
    long epoch;
    double loss;       ///< mean training loss (1/2N) Σ (pred − y)² over the epoch's steps
    double test_rmse;  ///< on the test set after the epoch
};

/// Writes DIR/loss.csv (epoch, train_loss, test_rmse) and DIR/predictions.csv (x, target,
/// prediction over the test set, sorted by x), then DIR/plots.gp, and runs gnuplot on it
/// to draw loss.png and predictions.png when gnuplot is installed. `title` goes into the
/// pictures. Returns the names of the files written (empty on an error, which it reports).
std::vector<std::string> write_outputs(const std::filesystem::path& dir,
                                       const std::vector<CurvePoint>& curve,
                                       const tg::Array<double>& x, const tg::Array<double>& target,
                                       const tg::Array<double>& prediction,
                                       const std::string& title);

}  // namespace trapezoid
