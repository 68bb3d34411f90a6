#pragma once
// The command line of the trapezoid example: two recipes (their defaults) and the flags
// that override them, parsed by CLI11.

#include <cstdint>
#include <optional>
#include <string>

namespace trapezoid {

/// What a run does. `recipe` fixes the defaults of every other field; a flag given on
/// the command line overrides its default whatever the order of the flags.
struct Options {
    std::string recipe = "adam";     ///< "adam" (the default) or "blog"
    std::string optimizer = "adam";  ///< "adam" or "sgd"
    std::uint64_t seed = 1;
    std::size_t train_size = 1000;
    std::size_t test_size = 1000;
    std::size_t batch_size = 32;  ///< equal to train_size: full batch, no shuffling
    double lr = 3e-3;             ///< the (peak) learning rate
    long epochs = 800;
    bool decay = true;  ///< the adam recipe's late learning-rate decay
    std::string out = "trapezoid-out";
    bool check = false;   ///< run the three-way gradient check first
    double max_rmse = 0;  ///< > 0: exit with status 1 when the final RMSE is above it
    std::size_t threads = 1;  ///< > 1: each batch split between that many workers (DataParallel)
    bool distributed = false;  ///< each batch split between the MPI ranks (tapegrad::distributed)
};

/// The defaults of a recipe ("adam" or "blog").
Options recipe_defaults(const std::string& recipe);

/// Parses argv into `options`. Returns the exit status when the program must stop: 0
/// after printing --help, 2 after one line on stderr for a bad flag or value.
std::optional<int> parse_options(int argc, char** argv, Options& options);

}  // namespace trapezoid
