#include "plots.hpp"

#include "../common/tools.hpp"

#include <cstdio>
#include <sstream>

namespace sequence {

bool plot_training_curve(const std::filesystem::path& dir, const std::vector<EpochRecord>& history,
                         double baseline_mse) {
    std::ostringstream csv;
    csv.precision(8);
    csv << "epoch,train_loss,test_mse,lr,clipped\n";
    for (const EpochRecord& r : history)
        csv << r.epoch << "," << r.train_loss << "," << r.test_mse << "," << r.lr << ","
            << r.clipped << "\n";
    if (!examples::write_text(dir / "history.csv", csv.str())) return false;
    std::ostringstream script;
    script << "set terminal pngcairo size 760,460\nset output 'training_curve.png'\n"
           << "set datafile separator ','\nset xlabel 'epoch'\nset ylabel 'mean squared error'\n"
           << "set logscale y\nset key top right\nset grid\n"
           << "set title 'adding problem: training curve against the baseline'\n"
           << "plot 'history.csv' skip 1 using 1:2 with lines lw 2 title 'training loss', \\\n"
           << "     '' skip 1 using 1:3 with linespoints pt 7 ps 0.5 title 'test MSE', \\\n"
           << "     " << baseline_mse
           << " with lines dt 2 lc rgb 'black' title 'always predicting 1 (baseline)'\n";
    return examples::write_text(dir / "training_curve.gp", script.str()) &&
           examples::run_gnuplot(dir / "training_curve.gp");
}

bool plot_predictions(const std::filesystem::path& dir, const std::vector<double>& targets,
                      const std::vector<double>& predicted, const std::vector<Example>& examples) {
    std::ostringstream csv, dat, script;
    csv.precision(8);
    csv << "target,predicted\n";
    for (std::size_t i = 0; i < targets.size(); ++i)
        csv << targets[i] << "," << predicted[i] << "\n";
    // examples.dat: one block per sequence (gnuplot's index k): step, value, marker.
    for (const Example& e : examples) {
        for (std::size_t t = 0; t < e.values.size(); ++t)
            dat << t << " " << e.values[t] << " " << e.markers[t] << "\n";
        dat << "\n\n";
    }
    const std::size_t rows = 1 + (examples.size() + 1) / 2;
    script << "set terminal pngcairo size 1000," << 300 * rows << "\n"
           << "set output 'predictions.png'\nset multiplot\n"
           // The scatter takes the top row.
           << "set size 1," << 1.0 / double(rows) << "\nset origin 0," << 1 - 1.0 / double(rows)
           << "\nset datafile separator ','\nset xlabel 'true sum'\nset ylabel 'predicted'\n"
           << "set title 'test sequences: prediction against the truth'\nset key top left\n"
           << "set xrange [0:2]\nset yrange [-0.1:2.1]\nset grid\n"
           << "plot 'predictions.csv' skip 1 using 1:2 with points pt 7 ps 0.3 title "
              "'test sequence', x with lines lc rgb 'black' title 'perfect'\n"
           << "set datafile separator whitespace\nunset grid\nset key off\n"
           << "set xlabel 'step (marked values in red)'\nset ylabel 'value'\nset yrange [0:1.05]\n"
           << "set xrange [-1:" << (examples.empty() ? 1 : examples[0].values.size()) << "]\n"
           << "set style fill solid 0.8 noborder\nset boxwidth 0.8\n";
    for (std::size_t k = 0; k < examples.size(); ++k) {
        const Example& e = examples[k];
        const double w = 0.5, h = 1.0 / double(rows);
        script << "set size " << w << "," << h << "\nset origin " << w * double(k % 2) << ","
               << 1 - h * double(2 + k / 2) << "\n"
               << "set title sprintf('marked values sum to %.3f, predicted %.3f', " << e.target
               << ", " << e.predicted << ")\n"
               << "plot 'examples.dat' index " << k
               << " using 1:($3 > 0 ? 0 : $2) with boxes lc rgb '#bbbbbb', "
                  "'' index "
               << k << " using 1:($3 > 0 ? $2 : 0) with boxes lc rgb '#cc3311'\n";
    }
    script << "unset multiplot\n";
    return examples::write_text(dir / "predictions.csv", csv.str()) &&
           examples::write_text(dir / "examples.dat", dat.str()) &&
           examples::write_text(dir / "predictions.gp", script.str()) &&
           examples::run_gnuplot(dir / "predictions.gp");
}

}  // namespace sequence
