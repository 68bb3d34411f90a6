#include "progress.hpp"

#include <cmath>

namespace trapezoid {

namespace {
/// A terminal line is rewritten at most this often.
constexpr double kTtyInterval = 0.25;
/// Plain lines: one every tenth of the run.
constexpr long kPlainReports = 10;
}  // namespace

Progress::Progress(long total_epochs, bool tty)
    : total_(total_epochs),
      tty_(tty),
      start_(Clock::now()),
      last_report_(start_),
      next_epoch_((total_epochs + kPlainReports - 1) / kPlainReports) {}

double Progress::elapsed() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
}

bool Progress::due(long epoch) const {
    if (epoch >= total_) return true;
    if (tty_)
        return std::chrono::duration<double>(Clock::now() - last_report_).count() >= kTtyInterval;
    return epoch >= next_epoch_;
}

void format_duration(double seconds, char* buffer, std::size_t size) {
    const long s = std::lround(seconds);
    if (s >= 3600)
        std::snprintf(buffer, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buffer, size, "%ld:%02ld", s / 60, s % 60);
}

void Progress::report(long epoch, double loss, double test_rmse, long long steps) {
    last_report_ = Clock::now();
    while (next_epoch_ <= epoch) next_epoch_ += (total_ + kPlainReports - 1) / kPlainReports;

    const double t = elapsed();
    const double steps_per_s = t > 0 ? static_cast<double>(steps) / t : 0;
    // time left = the remaining epochs at the average time per epoch so far
    const double left =
        epoch > 0 ? t / static_cast<double>(epoch) * static_cast<double>(total_ - epoch) : 0;
    char left_text[32];
    format_duration(left, left_text, sizeof left_text);
    char line[200];
    std::snprintf(line, sizeof line,
                  "epoch %ld/%ld  loss %.3e  test RMSE %.5f  %.0f steps/s  %s left", epoch, total_,
                  loss, test_rmse, steps_per_s, left_text);
    if (tty_) {
        // \r returns to the start of the line; \033[K erases what a longer line left.
        std::fprintf(stderr, "\r%s\033[K", line);
        open_line_ = true;
    } else {
        std::fprintf(stderr, "%s\n", line);
    }
    std::fflush(stderr);
}

void Progress::finish() {
    if (open_line_) std::fprintf(stderr, "\n");
    open_line_ = false;
}

}  // namespace trapezoid
