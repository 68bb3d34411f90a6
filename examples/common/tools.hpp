#pragma once
// What several examples share: an output folder, and running an optional external program
// (gnuplot, Graphviz's dot) that may not be installed.
//
// Header-only and free of tapegrad, so every example stays one program a reader can follow.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <system_error>

namespace examples {

/// Creates `dir` (and its parents) if needed; prints a one-line error and returns false
/// when that fails.
inline bool make_output_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir)) {
        std::fprintf(stderr, "cannot create the output folder %s: %s\n", dir.string().c_str(),
                     ec ? ec.message().c_str() : "not a folder");
        return false;
    }
    return true;
}

/// Before a run: creates the output folder `dir` (given by `flag`), proves a file can be
/// created in it (one is written and removed), and that none of `files`, the names the
/// run will write there, is a folder. Throws std::runtime_error with one line naming the
/// flag otherwise, so a run that could not save its result fails at its start, not after
/// the training.
inline void check_output_dir(const std::string& flag, const std::filesystem::path& dir,
                             std::initializer_list<const char*> files) {
    const std::string where = flag + " " + dir.string();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw std::runtime_error(where + ": cannot create the folder (" +
                                 (ec ? ec.message() : std::string("a file is in the way")) + ")");
    const std::filesystem::path probe = dir / (".write-test-" + std::to_string(getpid()));
    const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        throw std::runtime_error(where + ": cannot write a file there (" + std::strerror(errno) +
                                 ")");
    close(fd);
    std::filesystem::remove(probe, ec);
    for (const char* name : files)
        if (std::filesystem::is_directory(dir / name, ec))
            throw std::runtime_error(where + ": " + (dir / name).string() +
                                     " is a folder, so the run could not write it; remove it "
                                     "or choose another " +
                                     flag);
}

/// Writes `text` to `path`; false (after a one-line message) when it cannot.
inline bool write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    out.close();
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.string().c_str());
        return false;
    }
    return true;
}

/// Wraps a path in single quotes for /bin/sh (a quote inside becomes '\'').
inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

/// Whether `program` is found on PATH (POSIX `command -v`).
inline bool program_available(const std::string& program) {
    const std::string cmd = "command -v " + shell_quote(program) + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

/// Runs `command` through the shell; true when it exits with status 0.
inline bool run_command(const std::string& command) { return std::system(command.c_str()) == 0; }

/// Runs gnuplot on `script` from the script's folder, so the script names its data files
/// and outputs relative to that folder. Returns false, saying why, when gnuplot is not
/// installed or fails.
inline bool run_gnuplot(const std::filesystem::path& script) {
    if (!program_available("gnuplot")) {
        std::printf(
            "gnuplot is not installed (apt-get install gnuplot-nox): the data files and "
            "%s are written; run `gnuplot %s` in that folder to draw the pictures\n",
            script.filename().string().c_str(), script.filename().string().c_str());
        return false;
    }
    const std::filesystem::path dir = script.has_parent_path() ? script.parent_path() : ".";
    const std::string cmd = "cd " + shell_quote(dir.string()) + " && gnuplot " +
                            shell_quote(script.filename().string());
    if (!run_command(cmd)) {
        std::fprintf(stderr, "gnuplot failed on %s\n", script.string().c_str());
        return false;
    }
    return true;
}

}  // namespace examples
