#pragma once
// The main of tapegrad's benchmark programs: BENCHMARK_MAIN, except that a filter that
// matches no benchmark is an error (exit code 1), and that the step benchmarks end with
// one table of per-step times and tape/manual ratios measured in the same run.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace tg::bench {

/// Collects the per-iteration times of runs named "<family>/<variant>/<dtype>/<N>" and
/// prints, per family, dtype and N, each variant's time and its ratio to `baseline`.
/// With --benchmark_repetitions, a variant's time is the median of its repetitions (with
/// --benchmark_enable_random_interleaving=true they are spread over the whole run, so a
/// slow phase of a shared machine hits every variant alike).
class RatioTable : public benchmark::ConsoleReporter {
public:
    explicit RatioTable(std::string baseline) : baseline_(std::move(baseline)) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            // Each repetition's run, or only the aggregates (--benchmark_display_aggregates_only):
            // a "median" aggregate then stands for the repetitions it summarizes.
            const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            if (run.error_occurred || (run.run_type != Run::RT_Iteration && !median)) continue;
            // "<family>/<variant>/<dtype>" and the argument N (without "_median").
            const std::vector<std::string> parts =
                split(run.run_name.function_name + "/" + run.run_name.args);
            if (parts.size() != 4 || parts[3].empty()) continue;  // not a step benchmark
            // Microseconds per step, wall clock (the peers in docs/notes.md are wall clock).
            const double us = run.GetAdjustedRealTime() * to_microseconds(run.time_unit);
            std::vector<double>& times = rows_[{parts[0], parts[2], std::stol(parts[3])}][parts[1]];
            if (median)
                times.assign(1, us);
            else
                times.push_back(us);
            repetitions_ = std::max(
                repetitions_, median ? static_cast<std::size_t>(run.repetitions) : times.size());
            if (std::find(variants_.begin(), variants_.end(), parts[1]) == variants_.end())
                variants_.push_back(parts[1]);
        }
    }

    void Finalize() override {
        ConsoleReporter::Finalize();
        if (rows_.empty()) return;
        if (repetitions_ > 1)
            std::printf(
                "\nMicroseconds per training step (wall clock, median of %zu repetitions) and "
                "ratios to '%s', one run:\n\n",
                repetitions_, baseline_.c_str());
        else
            std::printf(
                "\nMicroseconds per training step (wall clock) and ratios to '%s', one run:\n\n",
                baseline_.c_str());
        // The baseline first, then the other variants by name, whatever order they ran in.
        std::sort(variants_.begin(), variants_.end(), [this](const auto& a, const auto& b) {
            return std::make_pair(a != baseline_, a) < std::make_pair(b != baseline_, b);
        });
        std::printf("| network | dtype | N |");
        for (const auto& v : variants_) std::printf(" %s |", v.c_str());
        for (const auto& v : variants_)
            if (v != baseline_) std::printf(" %s / %s |", v.c_str(), baseline_.c_str());
        std::printf("\n|---|---|--:|");
        for (std::size_t i = 0; i < 2 * variants_.size() - 1; ++i) std::printf("--:|");
        std::printf("\n");
        for (const auto& [key, row] : rows_) {
            std::printf("| %s | %s | %ld |", std::get<0>(key).c_str(), std::get<1>(key).c_str(),
                        std::get<2>(key));
            for (const auto& v : variants_) print_cell(row, v);
            const auto base = row.find(baseline_);
            for (const auto& v : variants_) {
                if (v == baseline_) continue;
                const auto it = row.find(v);
                if (it == row.end() || base == row.end())
                    std::printf(" |");
                else
                    std::printf(" %.2f |", median(it->second) / median(base->second));
            }
            std::printf("\n");
        }
    }

private:
    using Row = std::map<std::string, std::vector<double>>;  // variant -> time per repetition

    static double median(std::vector<double> v) {
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    static void print_cell(const Row& row, const std::string& v) {
        const auto it = row.find(v);
        if (it == row.end())
            std::printf(" |");
        else
            std::printf(" %.1f |", median(it->second));
    }
    static double to_microseconds(benchmark::TimeUnit unit) {
        switch (unit) {
            case benchmark::kNanosecond: return 1e-3;
            case benchmark::kMicrosecond: return 1.0;
            case benchmark::kMillisecond: return 1e3;
            default: return 1e6;
        }
    }
    static std::vector<std::string> split(const std::string& name) {
        std::vector<std::string> parts;
        std::size_t start = 0;
        for (std::size_t i = 0; i <= name.size(); ++i)
            if (i == name.size() || name[i] == '/') {
                parts.push_back(name.substr(start, i - start));
                start = i + 1;
            }
        return parts;
    }

    std::string baseline_;
    std::vector<std::string> variants_;
    std::size_t repetitions_ = 0;
    std::map<std::tuple<std::string, std::string, long>, Row> rows_;
};

/// Runs the registered benchmarks with `reporter` (or the console); returns the exit code.
inline int run_benchmarks(int argc, char** argv, benchmark::BenchmarkReporter* reporter = nullptr) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    const std::size_t ran = reporter ? benchmark::RunSpecifiedBenchmarks(reporter)
                                     : benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (ran == 0) {
        std::fprintf(stderr,
                     "%s: no benchmark matches the filter; list them with --benchmark_list_tests\n",
                     argv[0]);
        return 1;
    }
    return 0;
}

}  // namespace tg::bench
