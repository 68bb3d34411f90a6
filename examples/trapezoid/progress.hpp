#pragma once
// The progress line on stderr: epoch, loss, test RMSE, steps per second, time left.
// On a terminal it is one line rewritten in place (\r) a few times a second; otherwise
// (a log file, a pipe, ctest) plain lines at every tenth of the run.

#include <chrono>
#include <cstdio>

namespace trapezoid {

class Progress {
public:
    /// `total_epochs` sizes the estimate of the time left; `tty` picks the style
    /// (pass isatty(2)).
    Progress(long total_epochs, bool tty);

    /// Whether a report is due after `epoch` (1-based); the caller then measures the
    /// test RMSE, which costs a forward pass, and calls report(). The last epoch is
    /// always due.
    bool due(long epoch) const;

    /// Prints the line for `epoch`; `steps` is the number of optimizer steps so far.
    void report(long epoch, double loss, double test_rmse, long long steps);

    /// Ends the in-place line (a newline on a terminal).
    void finish();

    /// Seconds since construction.
    double elapsed() const;

private:
    using Clock = std::chrono::steady_clock;
    long total_;
    bool tty_;
    Clock::time_point start_;
    Clock::time_point last_report_;
    long next_epoch_;  ///< non-terminal mode: the next epoch that reports
    bool open_line_ = false;
};

/// "1:05" or "1:02:03" for a number of seconds.
void format_duration(double seconds, char* buffer, std::size_t size);

}  // namespace trapezoid
