#pragma once
// Command lines of the examples, through CLI11 (Debian's libcli11-dev, header-only):
// --help is generated from the options, and a bad flag or value is one line on stderr
// and exit status 2, the same in every example.

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

namespace examples {

/// A finite number > 0 (CLI11's PositiveNumber would print the range up to DBL_MAX).
inline const CLI::Validator kPositiveNumber(
    [](std::string& text) {
        double v = 0;
        if (CLI::detail::lexical_cast(text, v) && std::isfinite(v) && v > 0) return std::string();
        return "'" + text + "' is not a positive number";
    },
    "POSITIVE");

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
