#pragma once
// How an example fails: one line on stderr, "<program>: <what happened>", naming the flag
// or the file, and an exit status (never `terminate called`, a core dump or a hang):
//     2  a bad command line: a flag's value, a combination of flags, a size this machine's
//        memory cannot hold (CLI11's parse errors, parse_command_line, and UsageError);
//     1  the run failed: a file that cannot be read or written, a training run whose
//        loss stopped being finite, a --check that was not met, memory exhausted anyway.
//
// Header-only and free of tapegrad: every tg::Error is a std::runtime_error, so run_main's
// std::exception branch catches them, and their messages already name the file or the
// argument at fault.

#include <cmath>
#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

namespace examples {

/// A command line found bad after parsing (flags that do not fit together, sizes too
/// large for memory): run_main prints "<program>: <what> (see --help)" and returns 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// `text` on one line: line breaks become "; ".
inline std::string one_line(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\r') continue;
        out += c == '\n' ? std::string("; ") : std::string(1, c);
    }
    while (out.size() >= 2 && out.compare(out.size() - 2, 2, "; ") == 0) out.resize(out.size() - 2);
    return out;
}

/// Runs `body` (which returns the exit status) and turns what escapes it into one line on
/// stderr and a status: UsageError 2, std::bad_alloc 1 (the size checks should have
/// refused the run first), any other std::exception (tg::Error among them) 1.
template <class Body>
int run_main(const char* program, Body&& body) {
    try {
        return body();
    } catch (const UsageError& e) {
        std::fprintf(stderr, "%s: %s (see --help)\n", program, one_line(e.what()).c_str());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr,
                     "%s: out of memory (std::bad_alloc): try smaller sizes (--batch-size and "
                     "the like)\n",
                     program);
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program, one_line(e.what()).c_str());
        return 1;
    }
}

/// Throws (exit status 1 under run_main) when a training loss is NaN or infinite: the run
/// diverged, and every step after would train on NaN. `where` says when ("at epoch 3,
/// step 17"), `advice` which flags to lower.
inline void stop_if_diverged(double loss, const std::string& where, const std::string& advice) {
    if (std::isfinite(loss)) return;
    const char* value = std::isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf";  // not "-nan"
    throw std::runtime_error("the training loss became " + std::string(value) + " " + where +
                             ": the run diverged; " + advice);
}

}  // namespace examples
