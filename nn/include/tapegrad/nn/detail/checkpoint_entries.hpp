#pragma once
// A module's checkpoint entries, written and read as part of a .npz archive: tg::nn::save
// and tg::nn::load write and read them alone, tg::nn::TrainingCheckpoint under the prefix
// "model.". tg::nn::detail: for tapegrad's own readers and writers.

#include <tapegrad/io/detail/npz.hpp>
#include <tapegrad/nn/module.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tg::nn::detail {

/// (name, .npy bytes) of every parameter, then every buffer, by dotted name.
template <class T>
std::vector<std::pair<std::string, std::string>> module_entries(const Module<T>& module);

/// Reads and checks the entries of `module` from `archive` (`entries`: name without the
/// prefix and ".npy" -> index; all of them are the module's or an error), appending one
/// sentence per problem to `problems` (entries named with `prefix`). Changes nothing;
/// returns what sets the module's tensors, to call only when no problem was found.
template <class T>
std::function<void()> stage_module(Module<T>& module, const io::detail::NpzReader& archive,
                                   const std::map<std::string, std::size_t>& entries,
                                   const std::string& prefix, std::vector<std::string>& problems);

}  // namespace tg::nn::detail
