#include "plots.hpp"

#include "../common/tools.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

namespace trapezoid {

namespace {

/// Two curves on a log scale, with the target and the write-up's result as lines.
std::string loss_script(const std::string& title) {
    return R"(set terminal pngcairo size 900,600
set output 'loss.png'
set datafile separator ','
set title ')" +
           title + R"('
set xlabel 'epoch'
set ylabel 'loss (1/2N) sum (pred - y)^2,   test RMSE'
set rmargin 5
set logscale y
set format y '10^{%L}'
set grid
set key top right maxrows 2 opaque
plot 'loss.csv' using 1:2 every ::1 with lines lw 2 lc rgb '#1f77b4' title 'training loss', \
     'loss.csv' using 1:3 every ::1 with lines lw 2 lc rgb '#d62728' title 'test RMSE', \
     0.065 with lines dt 2 lc rgb '#7f7f7f' title 'write-up: 0.065', \
     0.01 with lines dt 3 lc rgb '#2ca02c' title 'target: 0.01'
)";
}

/// Two panels: prediction and truth above, their difference below (at a tenth of the
/// scale it would vanish in the top panel). `reset` drops the first picture's log scale.
std::string predictions_script(const std::string& title) {
    return R"(reset
set terminal pngcairo size 900,680
set output 'predictions.png'
set datafile separator ','
set multiplot title ')" +
           title + R"('
set lmargin 12
set rmargin 3
set grid
set xrange [-1:1]
set size 1,0.66
set origin 0,0.30
set bmargin 0
set format x ''
set ylabel 'y'
set yrange [-0.05:0.9]
set key bottom center
plot 'predictions.csv' using 1:2 every ::1 with lines lw 5 lc rgb '#bbbbbb' \
         title 'truth 0.8 clip((0.75 - |x|) / 0.5, 0, 1)', \
     'predictions.csv' using 1:3 every ::1 with lines lw 1.5 lc rgb '#d62728' \
         title 'network on the test set'
set size 1,0.30
set origin 0,0
set bmargin 3
set tmargin 0
set format x '%g'
set xlabel 'x'
set ylabel 'prediction - truth'
set yrange [*:*]
unset key
plot 'predictions.csv' using 1:($3 - $2) every ::1 with lines lw 1 lc rgb '#1f77b4'
unset multiplot
)";
}

}  // namespace

std::vector<std::string> write_outputs(const std::filesystem::path& dir,
                                       const std::vector<CurvePoint>& curve,
                                       const tg::Array<double>& x, const tg::Array<double>& target,
                                       const tg::Array<double>& prediction,
                                       const std::string& title) {
    if (!examples::make_output_dir(dir)) return {};
    std::vector<std::string> written;
    auto write_failed = [](const std::filesystem::path& path) {
        std::fprintf(stderr, "cannot write %s\n", path.string().c_str());
        return std::vector<std::string>{};
    };

    {
        std::ofstream out(dir / "loss.csv");
        out << "epoch,train_loss,test_rmse\n";
        char row[96];
        for (const CurvePoint& p : curve) {
            std::snprintf(row, sizeof row, "%ld,%.9g,%.9g\n", p.epoch, p.loss, p.test_rmse);
            out << row;
        }
        out.close();  // flushes: a full disk shows here
        if (!out) return write_failed(dir / "loss.csv");
        written.push_back((dir / "loss.csv").string());
    }
    {
        std::vector<std::size_t> order(x.shape()[0]);
        std::iota(order.begin(), order.end(), std::size_t(0));
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return x(a, 0) < x(b, 0); });
        std::ofstream out(dir / "predictions.csv");
        out << "x,target,prediction\n";
        char row[96];
        for (std::size_t i : order) {
            std::snprintf(row, sizeof row, "%.9g,%.9g,%.9g\n", x(i, 0), target(i, 0),
                          prediction(i, 0));
            out << row;
        }
        out.close();
        if (!out) return write_failed(dir / "predictions.csv");
        written.push_back((dir / "predictions.csv").string());
    }

    const std::string script = loss_script("training curve: " + title) +
                               predictions_script("prediction vs truth: " + title);
    if (!examples::write_text(dir / "plots.gp", script)) return {};
    written.push_back((dir / "plots.gp").string());
    if (examples::run_gnuplot(dir / "plots.gp")) {
        written.push_back((dir / "loss.png").string());
        written.push_back((dir / "predictions.png").string());
    }
    return written;
}

}  // namespace trapezoid
