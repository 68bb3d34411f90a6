#pragma once
// Sizes checked against the memory there is, before a run starts: each example estimates
// the bytes its flags ask for (data, parameters with their gradients and optimizer state,
// one step's tape; calibrated against the peak resident memory of measured runs, see
// each example's estimate) and refuses a run that cannot fit, naming the flags and the
// limit, instead of dying of std::bad_alloc (or the OOM killer) minutes later.
//
// Linux: MemAvailable from /proc/meminfo, and the address-space limit (`ulimit -v`,
// RLIMIT_AS) less what the process has mapped already (VmSize in /proc/self/status).

#include "fail.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace examples {

/// What this process may still allocate, and which limit says so.
struct MemoryLimit {
    double bytes;
    std::string source;  ///< "MemAvailable" or "ulimit -v"
};

namespace detail {

/// The value of the line "<key>: <n> kB" of a /proc file, in bytes; -1 when missing.
inline double proc_kib(const char* file, const std::string& key) {
    std::ifstream in(file);
    const std::string prefix = key + ":";
    for (std::string line; std::getline(in, line);)
        if (line.compare(0, prefix.size(), prefix) == 0)
            return std::strtod(line.c_str() + prefix.size(), nullptr) * 1024;
    return -1;
}

/// "3.2 GiB", or "41 MiB" below 1 GiB.
inline std::string gib(double bytes) {
    char text[32];
    const double mib = bytes / (1024.0 * 1024.0);
    if (mib < 1024)
        std::snprintf(text, sizeof text, "%.0f MiB", mib);
    else
        std::snprintf(text, sizeof text, "%.1f GiB", mib / 1024);
    return text;
}

}  // namespace detail

/// The smaller of MemAvailable (physical memory the kernel can hand out without swapping;
/// sysconf's free pages where /proc is missing) and RLIMIT_AS minus VmSize.
inline MemoryLimit allocatable_memory() {
    MemoryLimit limit{detail::proc_kib("/proc/meminfo", "MemAvailable"), "MemAvailable"};
    if (limit.bytes < 0)
        limit = {double(sysconf(_SC_AVPHYS_PAGES)) * double(sysconf(_SC_PAGESIZE)),
                 "free physical memory"};
    rlimit address_space{};
    if (getrlimit(RLIMIT_AS, &address_space) == 0 && address_space.rlim_cur != RLIM_INFINITY) {
        const double mapped = detail::proc_kib("/proc/self/status", "VmSize");
        const double left = double(address_space.rlim_cur) - (mapped > 0 ? mapped : 0);
        if (left < limit.bytes)
            limit = {left, "ulimit -v " + detail::gib(double(address_space.rlim_cur)) + " less " +
                               detail::gib(mapped) + " mapped"};
    }
    return limit;
}

/// Throws UsageError (exit status 2) when `bytes`, the estimate of what `flags` (for
/// instance "--train-size 100000000 with --batch-size 32") need, exceeds what can be
/// allocated.
inline void check_memory(double bytes, const std::string& flags) {
    const MemoryLimit limit = allocatable_memory();
    if (bytes <= limit.bytes) return;
    throw UsageError(flags + " need about " + detail::gib(bytes) + " (estimated); " +
                     detail::gib(limit.bytes > 0 ? limit.bytes : 0) + " can be allocated (" +
                     limit.source + ")");
}

}  // namespace examples
