#include "plots.hpp"

#include "../common/tools.hpp"

#include <sstream>

namespace gpt2 {

bool write_loss_curve(const std::filesystem::path& dir, const std::vector<StepRecord>& steps,
                      const std::vector<EvalRecord>& evals, bool draw) {
    std::ostringstream loss, eval;
    loss.precision(6);
    eval.precision(6);
    loss << "step,batch_loss,lr\n";
    for (const StepRecord& r : steps) loss << r.step << "," << r.loss << "," << r.lr << "\n";
    eval << "step,val_loss\n";
    for (const EvalRecord& r : evals) eval << r.step << "," << r.val_loss << "\n";
    const std::string script =
        "set terminal pngcairo size 900,600\nset output 'loss.png'\n"
        "set datafile separator ','\nset multiplot\n"
        "set lmargin 12\nset size 1,0.68\nset origin 0,0.32\n"
        "set title 'GPT-2 on generated text: next-byte cross-entropy (nats)'\n"
        "set ylabel 'loss'\nset key top right\nset grid\n"
        "plot 'loss.csv' skip 1 using 1:2 with lines lc rgb '#bbbbbb' title 'batch', \\\n"
        "     'eval.csv' skip 1 using 1:2 with linespoints pt 7 ps 0.6 lc rgb '#ee6677' "
        "title 'validation'\n"
        "set title ''\nset xlabel 'step'\nset ylabel 'learning rate'\nset key off\n"
        // Three ticks (0, half the peak, the peak): the panel is too low for gnuplot's ten.
        "stats 'loss.csv' skip 1 using 3 nooutput\nset ytics STATS_max / 2\n"
        "set format y '%.1e'\n"
        "set size 1,0.32\nset origin 0,0\n"
        "plot 'loss.csv' skip 1 using 1:3 with lines lc rgb '#228833'\n"
        "unset multiplot\n";
    if (!examples::write_text(dir / "loss.csv", loss.str()) ||
        !examples::write_text(dir / "eval.csv", eval.str()) ||
        !examples::write_text(dir / "loss.gp", script))
        return false;
    return !draw || examples::run_gnuplot(dir / "loss.gp");
}

}  // namespace gpt2
