#include "plots.hpp"

#include "../common/tools.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace digits {

bool plot_training_curve(const std::filesystem::path& dir,
                         const std::vector<EpochRecord>& history) {
    std::ostringstream csv;
    csv << "epoch,train_loss,test_accuracy,lr\n";
    for (const EpochRecord& r : history)
        csv << r.epoch << "," << r.train_loss << "," << r.test_accuracy << "," << r.lr << "\n";
    if (!examples::write_text(dir / "history.csv", csv.str())) return false;
    const std::string script =
        "set terminal pngcairo size 900,420\nset output 'training_curve.png'\n"
        "set datafile separator ','\nset multiplot layout 1,2\n"
        "set xlabel 'epoch'\nset ylabel 'training loss'\nset logscale y\nset key off\n"
        "plot 'history.csv' skip 1 using 1:2 with linespoints pt 7 ps 0.5\n"
        "unset logscale y\nset ylabel 'test accuracy (%)'\n"
        "plot 'history.csv' skip 1 using 1:($3*100) with linespoints pt 7 ps 0.5\n"
        "unset multiplot\n";
    return examples::write_text(dir / "training_curve.gp", script) &&
           examples::run_gnuplot(dir / "training_curve.gp");
}

bool plot_confusion(const std::filesystem::path& dir,
                    const std::vector<std::vector<std::size_t>>& counts) {
    std::ostringstream dat;
    for (std::size_t t = 0; t < counts.size(); ++t)
        for (std::size_t p = 0; p < counts[t].size(); ++p)
            dat << p << " " << t << " " << counts[t][p] << "\n";
    if (!examples::write_text(dir / "confusion.dat", dat.str())) return false;
    const std::string script =
        "set terminal pngcairo size 560,500\nset output 'confusion.png'\n"
        "set title 'confusion matrix (test set)'\nset xlabel 'predicted'\nset ylabel 'true'\n"
        "set xrange [-0.5:9.5]\nset yrange [9.5:-0.5]\nset xtics 0,1,9\nset ytics 0,1,9\n"
        "set palette defined (0 'white', 1 '#4477aa')\nset logscale cb\nset cbrange [0.5:*]\n"
        "plot 'confusion.dat' using 1:2:($3 > 0 ? $3 : 0.5) with image notitle, \\\n"
        "     '' using 1:2:($3 > 0 ? sprintf('%d', $3) : '') with labels notitle\n";
    return examples::write_text(dir / "confusion.gp", script) &&
           examples::run_gnuplot(dir / "confusion.gp");
}

bool plot_misclassified(const std::filesystem::path& dir, const Dataset& test,
                        const std::vector<int>& predicted) {
    std::vector<std::size_t> wrong;
    for (std::size_t i = 0; i < test.size() && wrong.size() < 24; ++i)
        if (predicted[i] != test.labels[i]) wrong.push_back(i);
    std::ostringstream dat, script;
    script << "set terminal pngcairo size 960,"
           << (wrong.empty() ? 160 : 160 * ((wrong.size() + 7) / 8)) << "\n"
           << "set output 'misclassified.png'\nunset key\nunset tics\nunset colorbox\n"
           << "set palette gray negative\nset size ratio -1\n";
    if (wrong.empty()) {
        script << "set title 'no misclassified test digit'\nplot [0:1][0:1] 2 notitle\n";
    } else {
        script << "set multiplot layout " << (wrong.size() + 7) / 8 << ",8\n";
        for (std::size_t k = 0; k < wrong.size(); ++k) {
            const std::size_t i = wrong[k];
            for (std::size_t r = 0; r < kSide; ++r)
                for (std::size_t c = 0; c < kSide; ++c)
                    dat << c << " " << r << " " << test.pixels[i * kPixels + r * kSide + c] << "\n";
            dat << "\n\n";  // gnuplot's index k
            script << "set title \"true " << test.labels[i] << "\\npredicted " << predicted[i]
                   << "\" font ',10'\nplot [-0.5:7.5] [7.5:-0.5] 'misclassified.dat' index " << k
                   << " using 1:2:3 with image\n";
        }
        script << "unset multiplot\n";
    }
    return examples::write_text(dir / "misclassified.dat", dat.str()) &&
           examples::write_text(dir / "misclassified.gp", script.str()) &&
           examples::run_gnuplot(dir / "misclassified.gp");
}

}  // namespace digits
