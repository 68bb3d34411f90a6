#include <tapegrad/nn/checkpoint.hpp>

#include <cstring>
#include <map>
#include <set>

#include <tapegrad/io/detail/npy.hpp>
#include <tapegrad/io/detail/npz.hpp>

namespace tg::nn {
namespace {

using io::detail::encode_npy;
using io::detail::fail;
using io::detail::kEntrySuffix;
using io::detail::ModelMismatch;
using io::detail::NpyFormatError;
using io::detail::NpzReader;
using io::detail::quoted;

/// What a checkpoint holds: every parameter, then every buffer, by dotted name.
template <class T>
std::vector<std::pair<std::string, Tensor<T>>> saved_tensors(const Module<T>& module) {
    auto out = module.named_parameters();
    for (auto& named : module.named_buffers()) out.push_back(std::move(named));
    return out;
}

}  // namespace

template <class T>
void save(const Module<T>& module, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [name, tensor] : saved_tensors(module))
        entries.emplace_back(name, encode_npy<T>(tensor.shape(), tensor.value().data()));
    io::detail::write_npz("save", path, entries);
}

template <class T>
void load(Module<T>& module, const std::string& path) {
    const auto named = saved_tensors(module);
    std::map<std::string, const Tensor<T>*> wanted;
    for (const auto& [name, tensor] : named) wanted[name] = &tensor;
    std::set<std::string> buffers;
    for (const auto& [name, tensor] : module.named_buffers()) buffers.insert(name);
    const auto label = [&](const std::string& name) {
        return (buffers.count(name) ? "buffer " : "parameter ") + quoted(name);
    };

    const NpzReader archive("load", path);

    // Read and check everything first; change nothing until all of it is right.
    std::vector<std::string> problems;
    std::map<std::string, Array<T>> values;
    std::set<std::string> seen;  // names with an entry in the file, good or not
    for (std::size_t i = 0; i < archive.size(); ++i) {
        const std::optional<std::string> raw_name = archive.name(i);
        if (!raw_name) {
            problems.push_back("entry #" + std::to_string(i) + " has no readable name");
            continue;
        }
        const std::string& entry = *raw_name;
        const std::size_t suffix = std::strlen(kEntrySuffix);
        const bool is_npy = entry.size() > suffix &&
                            entry.compare(entry.size() - suffix, suffix, kEntrySuffix) == 0;
        const std::string name = is_npy ? entry.substr(0, entry.size() - suffix) : entry;
        const auto target = wanted.find(name);
        if (!is_npy || target == wanted.end()) {
            problems.push_back("the file has an entry " + quoted(entry) +
                               " for which the model has no parameter or buffer");
            continue;
        }
        if (!seen.insert(name).second) {
            problems.push_back("the file has entry " + quoted(entry) + " twice");
            continue;
        }
        try {
            values.emplace(name, archive.read<T>(i, label(name),
                                                 target->second->shape(), "the model"));
        } catch (const NpyFormatError& e) {
            problems.push_back("entry " + quoted(entry) + " " + e.problem);
        } catch (const ModelMismatch& e) {
            problems.push_back(e.problem);
        }
    }
    for (const auto& [name, tensor] : named)
        if (!seen.count(name))
            problems.push_back(label(name) + " is missing from the file (no entry " +
                               quoted(name + kEntrySuffix) + ")");
    if (!problems.empty()) {
        std::string message;
        for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
        fail("load", path,
             message +
                 ". Nothing was loaded; the file must hold exactly the model's parameters and "
                 "buffers (names, shapes and dtype as in module.named_parameters() and "
                 "named_buffers())");
    }

    for (auto& [name, tensor] : named) {
        Tensor<T> parameter = tensor;
        parameter.mutable_value() = std::move(values.at(name));
    }
}

#define TG_NN_CHECKPOINT_INSTANTIATE(T)                          \
    template void save<T>(const Module<T>&, const std::string&); \
    template void load<T>(Module<T>&, const std::string&);
TG_NN_CHECKPOINT_INSTANTIATE(float)
TG_NN_CHECKPOINT_INSTANTIATE(double)

}  // namespace tg::nn
