#pragma once
// Weights from and to files other tools write, with PyTorch's load_state_dict rules:
//
//     tg::nn::load_state_dict(net, "model.safetensors");        // strict: names must match
//     auto keys = tg::nn::load_state_dict(net, "weights.npz", {/*strict=*/false});
//     keys.missing_keys;     // in the model, not in the file (left as they were)
//     keys.unexpected_keys;  // in the file, not in the model (never read)
//
//     tg::nn::LoadStateDictOptions options;
//     options.rename = [](const std::string& name) {           // "module.fc.weight" -> "fc.weight"
//         return name.rfind("module.", 0) == 0 ? name.substr(7) : name;
//     };
//     tg::nn::load_state_dict(net, "ddp_checkpoint.safetensors", options);
//
//     tg::nn::SaveStateDictOptions save;
//     save.dtype = tg::io::DType::bfloat16;                    // half the bytes of float32
//     tg::nn::save_state_dict(net, "model.safetensors", save);
//
// A state dict is every parameter, then every buffer, by dotted name
// (module.named_parameters(), named_buffers()), as PyTorch's. Files are .npz archives
// (numpy.savez of a state dict, tg::nn::save) or safetensors files
// (safetensors.torch.save_file), told apart by their first bytes; any dtype the io
// readers take (<tapegrad/io/dtype.hpp>: float64, float32, float16, bfloat16, int64,
// int32, uint8, bool) is converted to the model's type, so PyTorch's int64
// num_batches_tracked loads too. tg::nn::load and tg::nn::save are the exact-match,
// same-dtype .npz special case.

#include <tapegrad/io/dtype.hpp>
#include <tapegrad/nn/module.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tg::nn {

/// The format of a weights file.
enum class WeightsFormat {
    automatic,    ///< loading: from the first bytes ("PK": .npz; '{' after 8 bytes:
                  ///< safetensors), else the extension; saving: from the extension
    npz,          ///< numpy's .npz (a zip of .npy arrays)
    safetensors,  ///< safetensors
};

/// How load_state_dict matches the file to the model.
struct LoadStateDictOptions {
    /// PyTorch's strict: with true, a name of the model missing from the file or a name
    /// of the file the model lacks is an error and nothing is loaded; with false, the
    /// rest loads and the result lists both.
    bool strict = true;
    /// File names to model names, exactly: {{"fc1.weight", "0.weight"}, ...}. Applied first.
    std::map<std::string, std::string> names;
    /// For each file name not in `names`: the model name it loads into; an empty string
    /// drops the array (it is neither loaded nor reported). Unset: the name itself.
    std::function<std::string(const std::string&)> rename;
    /// Unset (automatic): told from the file's first bytes, else its extension.
    WeightsFormat format = WeightsFormat::automatic;
};

/// What a non-strict load_state_dict did not match (PyTorch's _IncompatibleKeys).
struct LoadStateDictResult {
    /// Parameters and buffers of the model with no array in the file; left unchanged.
    std::vector<std::string> missing_keys;
    /// Names in the file (after renaming) that the model has not; their data are not read.
    std::vector<std::string> unexpected_keys;
};

/// How save_state_dict writes.
struct SaveStateDictOptions {
    /// Unset (automatic): from the extension, ".npz" or ".safetensors".
    WeightsFormat format = WeightsFormat::automatic;
    /// safetensors only: the dtype to store (float64, float32, float16 or bfloat16; a
    /// finite value beyond its range is an error). Unset: the model's type.
    std::optional<io::DType> dtype;
    /// safetensors only: written as "__metadata__" (e.g. {{"format", "pt"}}).
    std::map<std::string, std::string> metadata;
};

/// Loads the parameters and buffers of `module` from the .npz or safetensors file
/// `path`, converting dtypes (rules of <tapegrad/io/dtype.hpp>) and renaming as
/// `options` says. Every array is checked before any tensor changes. tg::IoError naming
/// the file, and the module left unchanged, when the file cannot be read or is
/// malformed, when an array's shape differs from its tensor's (strict or not, as
/// PyTorch), when two file names are renamed to the same model name, when a value does
/// not fit the model's type, or, when strict, listing the missing and unexpected keys.
/// Loading bumps each loaded tensor's version.
template <class T>
LoadStateDictResult load_state_dict(Module<T>& module, const std::string& path,
                                    const LoadStateDictOptions& options = {});

/// Writes every parameter and buffer of `module` to `path` as .npz or safetensors,
/// replacing the file as a whole (an error leaves an existing file unchanged).
/// tg::ValueError when the format cannot be told from the extension, or for options the
/// format does not take; tg::IoError naming the file when it cannot be written.
template <class T>
void save_state_dict(const Module<T>& module, const std::string& path,
                     const SaveStateDictOptions& options = {});

/// \cond
#define TG_NN_STATE_DICT_EXTERN(T)                                                         \
    extern template LoadStateDictResult load_state_dict<T>(Module<T>&, const std::string&, \
                                                           const LoadStateDictOptions&);   \
    extern template void save_state_dict<T>(const Module<T>&, const std::string&,          \
                                            const SaveStateDictOptions&);
TG_NN_STATE_DICT_EXTERN(float)
TG_NN_STATE_DICT_EXTERN(double)
#undef TG_NN_STATE_DICT_EXTERN
/// \endcond

}  // namespace tg::nn
