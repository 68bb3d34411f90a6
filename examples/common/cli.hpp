#pragma once
// Command lines of the examples, through CLI11 (Debian's libcli11-dev, header-only):
// --help is generated from the options, and a bad flag or value is one line on stderr
// and exit status 2, the same in every example.

#include <CLI/CLI.hpp>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>

namespace examples {

/// A finite number in (0, max] or, with `zero_allowed`, [0, max]. CLI11's PositiveNumber
/// would accept "inf" and print its range up to DBL_MAX. An example that trains in float
/// passes FLT_MAX as `max`, so that a value stays finite when cast to float.
inline CLI::Validator number_up_to(double max, bool zero_allowed) {
    char bound[48] = "";
    if (max < std::numeric_limits<double>::max())
        std::snprintf(bound, sizeof bound, " up to %g", max);
    const std::string what =
        std::string(zero_allowed ? "a number >= 0" : "a positive number") + bound;
    return CLI::Validator(
        [max, zero_allowed, what](std::string& text) {
            double v = 0;
            if (CLI::detail::lexical_cast(text, v) && std::isfinite(v) && v <= max &&
                (v > 0 || (zero_allowed && v == 0)))
                return std::string();
            return "'" + text + "' is not " + what;
        },
        zero_allowed ? "NUMBER >= 0" : "POSITIVE");
}

/// A finite number > 0.
inline const CLI::Validator kPositiveNumber =
    number_up_to(std::numeric_limits<double>::max(), false);
/// A finite number >= 0.
inline const CLI::Validator kNonNegativeNumber =
    number_up_to(std::numeric_limits<double>::max(), true);
/// A number > 0 that is finite in float (up to FLT_MAX).
inline const CLI::Validator kPositiveFloat = number_up_to(std::numeric_limits<float>::max(), false);
/// A number >= 0 that is finite in float.
inline const CLI::Validator kNonNegativeFloat =
    number_up_to(std::numeric_limits<float>::max(), true);

/// A whole number from `lo` to `hi`, written in decimal digits without a leading zero:
/// "-1", "+3", "1.5", "1e3", "0x10" and "010" are refused. (CLI11 alone reads "-1" into an
/// unsigned flag as 2^64 - 1, and "010" as octal 8.) Every count, size and seed flag uses
/// it, so a negative size is a bad value, never a huge one.
inline CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi) {
    const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
    return CLI::Validator(
        [lo, hi, range](std::string& text) {
            bool digits = !text.empty() && (text.size() == 1 || text[0] != '0');
            for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
            if (digits) {
                errno = 0;
                const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
                if (errno == 0 && v >= lo && v <= hi) return std::string();
            }
            return "'" + text + "' is not a whole number from " + range;
        },
        "INT in [" + std::to_string(lo) + " - " + std::to_string(hi) + "]");
}

/// Parses argv into the options `app` binds. Returns the exit status when the program
/// must stop here: 0 after printing --help, 2 after printing "<program>: <what is
/// wrong> (see --help)" for a bad command line; nothing when it should go on.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::printf("%s", app.help().c_str());
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), e.what());
        return 2;
    }
    return std::nullopt;
}

}  // namespace examples
