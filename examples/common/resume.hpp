#pragma once
// Resuming a run (tg::nn::TrainingCheckpoint): what the training examples share.
//
// A checkpoint records the flags its run was started with (metadata); --resume refuses
// a checkpoint that is missing or was saved with other flags, so that a resumed run is
// the run it continues. parameter_hash prints what the resume ctests compare
// (resume.cmake): a straight run and a stopped-then-resumed one must end with the same
// parameters, bit for bit.

#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/training_checkpoint.hpp>

#include "cli.hpp"
#include "fail.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

namespace examples {

/// FNV-1a (64 bits) over the bytes of every parameter and buffer, in their order.
template <class T>
std::uint64_t parameter_hash(const tg::nn::Module<T>& module) {
    std::uint64_t hash = 14695981039346656037ull;
    const auto mix = [&](const tg::Tensor<T>& t) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(t.value().data());
        for (std::size_t i = 0; i < t.size() * sizeof(T); ++i)
            hash = (hash ^ bytes[i]) * 1099511628211ull;
    };
    for (const auto& p : module.parameters()) mix(p);
    for (const auto& [name, b] : module.named_buffers()) mix(b);
    return hash;
}

/// Prints "parameters hash 0123456789abcdef" (the resume ctests compare it).
template <class T>
void print_parameter_hash(const tg::nn::Module<T>& module) {
    std::printf("parameters hash %016llx\n",
                static_cast<unsigned long long>(parameter_hash(module)));
}

/// Adds --resume and --stop-after N (`unit`: "epochs" or "steps", at most `most`) to
/// `app`; returns the --resume flag (for excludes()).
inline CLI::Option* add_resume_flags(CLI::App& app, bool& resume, long& stop_after,
                                     const std::string& unit, std::uint64_t most) {
    CLI::Option* flag =
        app.add_flag("--resume", resume,
                     "continue from the checkpoint in --out (an error when there is none)");
    app.add_option("--stop-after", stop_after,
                   "stop after N " + unit + ", checkpoint written, as if killed (0: run them all)")
        ->check(whole_number(0, most));
    return flag;
}

/// With `resume`: loads `checkpoint` from `path` (std::runtime_error, exit 1, when there
/// is none: a run to resume is not silently started over; tg::IoError when it does not
/// fit) and checks that it was saved with `flags`. Without: records `flags` in it.
/// Returns the checkpoint's step (0 without `resume`).
template <class T>
long resume_or_start(tg::nn::TrainingCheckpoint<T>& checkpoint, const std::filesystem::path& path,
                     bool resume, const std::map<std::string, std::string>& flags) {
    if (!resume) {
        checkpoint.metadata = flags;
        return 0;
    }
    if (!std::filesystem::exists(path))
        throw std::runtime_error("--resume: there is no checkpoint " + path.string() +
                                 " to continue; run without --resume to start");
    checkpoint.load(path.string());
    for (const auto& [flag, value] : flags) {
        const auto saved = checkpoint.metadata.find(flag);
        const std::string was = saved == checkpoint.metadata.end() ? "(none)" : saved->second;
        if (was != value)
            throw UsageError("--resume: the checkpoint " + path.string() +
                             " was saved by a run with " + flag + " " + was + ", this run has " +
                             flag + " " + value + ": resume with the flags it was started with");
    }
    return static_cast<long>(checkpoint.step);
}

}  // namespace examples
