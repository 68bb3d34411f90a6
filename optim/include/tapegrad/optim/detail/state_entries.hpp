#pragma once
// An optimizer's and a scheduler's state entries, written and read as part of a .npz
// archive: tg::optim::save and tg::optim::load write and read an optimizer's alone,
// tg::nn::TrainingCheckpoint both under prefixes ("optimizer.", "scheduler.NAME.").
// tg::optim::detail: for tapegrad's own readers and writers.

#include <tapegrad/io/detail/npz.hpp>
#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/scheduler_state.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tg::optim::detail {

/// (name, .npy bytes) of the optimizer's state file entries (docs/optimizers.md).
template <class T>
std::vector<std::pair<std::string, std::string>> optimizer_entries(const Optimizer<T>& optimizer);

/// Reads and checks the optimizer's entries from `archive` (`entries`: name without the
/// prefix and ".npy" -> index; all of them are the optimizer's or an error), appending
/// one sentence per problem to `problems` (entries named with `prefix`). Changes
/// nothing; returns what restores the optimizer, to call only when no problem was found.
template <class T>
std::function<void()> stage_optimizer(Optimizer<T>& optimizer, const io::detail::NpzReader& archive,
                                      const std::map<std::string, std::size_t>& entries,
                                      const std::string& prefix,
                                      std::vector<std::string>& problems);

/// (name, .npy bytes) of a scheduler's state_dict(), each a 0-d float64 array.
std::vector<std::pair<std::string, std::string>> scheduler_entries(const Scheduler& scheduler);

/// As stage_optimizer, for a scheduler's state_dict().
std::function<void()> stage_scheduler(Scheduler& scheduler, const io::detail::NpzReader& archive,
                                      const std::map<std::string, std::size_t>& entries,
                                      const std::string& prefix,
                                      std::vector<std::string>& problems);

}  // namespace tg::optim::detail
