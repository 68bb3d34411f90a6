#include <tapegrad/check.hpp>
#include <tapegrad/nn/checkpoint.hpp>
#include <tapegrad/nn/detail/checkpoint_entries.hpp>

#include <map>
#include <memory>
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

std::string unknown_entry(const std::string& entry) {
    return "the file has an entry " + quoted(entry) +
           " for which the model has no parameter or buffer";
}

}  // namespace

namespace detail {

template <class T>
std::vector<std::pair<std::string, std::string>> module_entries(const Module<T>& module) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [name, tensor] : saved_tensors(module))
        entries.emplace_back(name, encode_npy<T>(tensor.shape(), tensor.value().data()));
    return entries;
}

template <class T>
std::function<void()> stage_module(Module<T>& module, const NpzReader& archive,
                                   const std::map<std::string, std::size_t>& entries,
                                   const std::string& prefix, std::vector<std::string>& problems) {
    const auto named = saved_tensors(module);
    std::map<std::string, const Tensor<T>*> wanted;
    for (const auto& [name, tensor] : named) wanted[name] = &tensor;
    std::set<std::string> buffers;
    for (const auto& [name, tensor] : module.named_buffers()) buffers.insert(name);
    const auto label = [&](const std::string& name) {
        return (buffers.count(name) ? "buffer " : "parameter ") + quoted(name);
    };

    auto values = std::make_shared<std::map<std::string, Array<T>>>();
    for (const auto& [name, index] : entries) {
        const std::string entry = prefix + name + kEntrySuffix;
        const auto target = wanted.find(name);
        if (target == wanted.end()) {
            problems.push_back(unknown_entry(entry));
            continue;
        }
        try {
            values->emplace(
                name, archive.read<T>(index, label(name), target->second->shape(), "the model"));
        } catch (const NpyFormatError& e) {
            problems.push_back("entry " + quoted(entry) + " " + e.problem);
        } catch (const ModelMismatch& e) {
            problems.push_back(e.problem);
        }
    }
    for (const auto& [name, tensor] : named)
        if (!entries.count(name))
            problems.push_back(label(name) + " is missing from the file (no entry " +
                               quoted(prefix + name + kEntrySuffix) + ")");
    return [named, values] {
        for (const auto& [name, tensor] : named) {
            Tensor<T> parameter = tensor;
            parameter.mutable_value() = std::move(values->at(name));
        }
    };
}

}  // namespace detail

template <class T>
void save(const Module<T>& module, const std::string& path) {
    io::detail::write_npz("save", path, detail::module_entries(module));
}

template <class T>
void load(Module<T>& module, const std::string& path) {
    const NpzReader archive("load", path);
    // Read and check everything first; change nothing until all of it is right.
    std::vector<std::string> problems, others;
    const auto entries = archive.npy_entries(others, problems);
    for (const std::string& entry : others) problems.push_back(unknown_entry(entry));
    const std::function<void()> commit =
        detail::stage_module(module, archive, entries, "", problems);
    if (!problems.empty()) {
        const std::string message = tg::detail::join(problems);
        fail("load", path,
             message +
                 ". Nothing was loaded; the file must hold exactly the model's parameters and "
                 "buffers (names, shapes and dtype as in module.named_parameters() and "
                 "named_buffers())");
    }
    commit();
}

#define TG_NN_CHECKPOINT_INSTANTIATE(T)                                                  \
    template void save<T>(const Module<T>&, const std::string&);                         \
    template void load<T>(Module<T>&, const std::string&);                               \
    template std::vector<std::pair<std::string, std::string>> detail::module_entries<T>( \
        const Module<T>&);                                                               \
    template std::function<void()> detail::stage_module<T>(                              \
        Module<T>&, const NpzReader&, const std::map<std::string, std::size_t>&,         \
        const std::string&, std::vector<std::string>&);
TG_NN_CHECKPOINT_INSTANTIATE(float)
TG_NN_CHECKPOINT_INSTANTIATE(double)

}  // namespace tg::nn
