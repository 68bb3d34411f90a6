#include <tapegrad/check.hpp>
#include <tapegrad/nn/state_dict.hpp>

#include <tapegrad/error.hpp>
#include <tapegrad/io/detail/arrays.hpp>
#include <tapegrad/io/detail/npz.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

namespace tg::nn {
namespace {

using io::detail::fail;

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The format of the file `path`: from its first bytes (a zip archive starts with "PK",
/// a safetensors header with '{' after the 8-byte length), else from its extension.
WeightsFormat format_of(const std::string& path) {
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored))
        fail("load_state_dict", path,
             "is a directory; pass the path of a .npz or .safetensors file");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("load_state_dict", path, "cannot be opened (no such file, or not readable)");
    char head[9] = {};
    in.read(head, sizeof head);
    const std::streamsize got = in.gcount();
    if (got >= 2 && head[0] == 'P' && head[1] == 'K') return WeightsFormat::npz;
    if (got == 9 && head[8] == '{') return WeightsFormat::safetensors;
    // Too short or damaged to tell: the reader the extension names says what is wrong.
    if (ends_with(path, ".npz")) return WeightsFormat::npz;
    if (ends_with(path, ".safetensors")) return WeightsFormat::safetensors;
    fail("load_state_dict", path,
         "is neither a .npz archive (it does not start with \"PK\") nor a safetensors file (no "
         "'{' after its 8-byte header length), and its name ends in neither .npz nor "
         ".safetensors; pass LoadStateDictOptions::format");
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace

template <class T>
LoadStateDictResult load_state_dict(Module<T>& module, const std::string& path,
                                    const LoadStateDictOptions& options) {
    const char* what = "load_state_dict";
    // The model's tensors by name, parameters then buffers, as PyTorch's state_dict.
    std::vector<std::pair<std::string, Tensor<T>>> named = module.named_parameters();
    std::set<std::string> buffers;
    for (auto& [name, tensor] : module.named_buffers()) {
        buffers.insert(name);
        named.emplace_back(name, tensor);
    }
    std::map<std::string, const Tensor<T>*> wanted;
    for (const auto& [name, tensor] : named) wanted[name] = &tensor;
    const auto label = [&](const std::string& name) {
        return (buffers.count(name) ? "buffer " : "parameter ") + io::detail::quoted(name);
    };

    // Every array is checked and read before any tensor changes.
    std::vector<std::string> problems, unexpected, unexpected_shown;
    std::map<std::string, std::string> source;  // model name -> the file's name for it
    std::map<std::string, std::string> target;  // the file's name -> model name, when read
    std::map<std::string, Array<T>> values;
    const auto want = [&](const io::detail::ArrayInfo& info) {
        const auto named_as = options.names.find(info.name);
        const std::string name = named_as != options.names.end() ? named_as->second
                                 : options.rename                ? options.rename(info.name)
                                                                 : info.name;
        if (name.empty()) return false;
        const std::string from =
            name == info.name ? "" : " (" + io::detail::quoted(info.name) + " in the file)";
        if (!source.emplace(name, info.name).second) {
            problems.push_back("the file's " + io::detail::quoted(source[name]) + " and " +
                               io::detail::quoted(info.name) + " are both renamed to " +
                               io::detail::quoted(name));
            return false;
        }
        const auto tensor = wanted.find(name);
        if (tensor == wanted.end()) {
            unexpected.push_back(name);
            unexpected_shown.push_back(io::detail::quoted(name) + from);
            return false;
        }
        if (Shape(info.shape) != tensor->second->shape()) {
            problems.push_back(label(name) + from + " has shape " + shape_str(info.shape) +
                               " in the file but " + shape_str(tensor->second->shape()) +
                               " in the model");
            return false;
        }
        target[info.name] = name;
        return true;
    };
    const auto take = [&](const io::detail::ArrayInfo& info, Array<T>&& value) {
        values[target.at(info.name)] = std::move(value);
    };
    const WeightsFormat format =
        options.format == WeightsFormat::automatic ? format_of(path) : options.format;
    if (format == WeightsFormat::npz)
        io::detail::read_npz_arrays<T>(what, path, want, take);
    else
        io::detail::read_safetensors_arrays<T>(what, path, want, take);

    LoadStateDictResult result;
    std::vector<std::string> missing_shown;
    for (const auto& [name, tensor] : named)
        if (!source.count(name)) {
            result.missing_keys.push_back(name);
            missing_shown.push_back(io::detail::quoted(name));
        }
    result.unexpected_keys = unexpected;
    if (options.strict && !missing_shown.empty())
        problems.push_back("missing keys (in the model, not in the file): " +
                           joined(missing_shown));
    if (options.strict && !unexpected.empty())
        problems.push_back("unexpected keys (in the file, not in the model): " +
                           joined(unexpected_shown));
    if (!problems.empty()) {
        const std::string message = tg::detail::join(problems);
        fail(what, path,
             message +
                 ". Nothing was loaded; map the file's names to the model's "
                 "(named_parameters(), named_buffers()) with LoadStateDictOptions::names or "
                 "rename" +
                 (options.strict ? ", or pass strict = false to load the names that match" : ""));
    }

    for (auto& [name, tensor] : named) {
        const auto value = values.find(name);
        if (value == values.end()) continue;
        Tensor<T> t = tensor;
        t.mutable_value() = std::move(value->second);
    }
    return result;
}

template <class T>
void save_state_dict(const Module<T>& module, const std::string& path,
                     const SaveStateDictOptions& options) {
    const char* what = "save_state_dict";
    WeightsFormat format = options.format;
    if (format == WeightsFormat::automatic) {
        if (ends_with(path, ".npz"))
            format = WeightsFormat::npz;
        else if (ends_with(path, ".safetensors"))
            format = WeightsFormat::safetensors;
        else
            throw ValueError(std::string(what) + ": " + io::detail::quoted(path) +
                             ": cannot tell the format from the name; end it in .npz or "
                             ".safetensors, or pass SaveStateDictOptions::format");
    }
    std::vector<std::pair<std::string, Tensor<T>>> named = module.named_parameters();
    for (auto& buffer : module.named_buffers()) named.push_back(std::move(buffer));
    io::detail::ArrayRefs<T> arrays;
    for (const auto& [name, tensor] : named) arrays.emplace_back(name, &tensor.value());
    if (format == WeightsFormat::npz) {
        if ((options.dtype && *options.dtype != io::dtype_of<T>()) || !options.metadata.empty())
            throw ValueError(std::string(what) + ": " + io::detail::quoted(path) +
                             ": a .npz file stores the model's own dtype and no metadata; "
                             "SaveStateDictOptions::dtype and metadata are for safetensors");
        io::detail::write_npz_arrays<T>(what, path, arrays);
    } else {
        io::detail::write_safetensors_arrays<T>(what, path, arrays,
                                                {options.metadata, options.dtype});
    }
}

#define TG_NN_STATE_DICT_INSTANTIATE(T)                                             \
    template LoadStateDictResult load_state_dict<T>(Module<T>&, const std::string&, \
                                                    const LoadStateDictOptions&);   \
    template void save_state_dict<T>(const Module<T>&, const std::string&,          \
                                     const SaveStateDictOptions&);
TG_NN_STATE_DICT_INSTANTIATE(float)
TG_NN_STATE_DICT_INSTANTIATE(double)

}  // namespace tg::nn
