#pragma once
// Checkpoints: a module's parameters in a .npz archive, as numpy.savez writes one.
//
//     tg::nn::save(net, "net.npz");
//     tg::nn::load(net, "net.npz");          // same architecture: every name and shape
//
//     >>> numpy.load("net.npz")["0.weight"]  # Python, numpy only
//
// The archive holds one uncompressed entry "NAME.npy" per (NAME, tensor) of
// named_parameters(), then of named_buffers(), in numpy's .npy format (dtype '<f8' for double, '<f4' for float).
// Compressed archives (numpy.savez_compressed), Fortran-ordered and big-endian arrays,
// and .npy format versions 1.0, 2.0 and 3.0 load too. Files are read by tapegrad's own
// strict .npy parser; each entry's header is checked against the model before any of
// its data is read or inflated, so a file cannot make load allocate more than the
// model's size (plus a header of at most 10,000 bytes).

#include <tapegrad/nn/module.hpp>

#include <string>

namespace tg::nn {

/// Writes every parameter and buffer of `module` to `path` (replacing the file as a whole: an
/// error leaves an existing file unchanged). tg::IoError naming the file on failure.
template <class T>
void save(const Module<T>& module, const std::string& path);

/// Reads the parameters and buffers of `module` from `path`. Every entry is checked
/// before any tensor changes: a file that cannot be read, is truncated or malformed,
/// lacks a parameter or buffer or has an entry the module does not, or holds a shape or
/// dtype different from the module's, raises tg::IoError naming the file and every
/// problem found (each tensor by its dotted name: "parameter '1.weight' has shape ..."),
/// and leaves the module unchanged. Loading bumps each tensor's version.
template <class T>
void load(Module<T>& module, const std::string& path);

#define TG_NN_CHECKPOINT_EXTERN(T)                                      \
    extern template void save<T>(const Module<T>&, const std::string&); \
    extern template void load<T>(Module<T>&, const std::string&);
TG_NN_CHECKPOINT_EXTERN(float)
TG_NN_CHECKPOINT_EXTERN(double)
#undef TG_NN_CHECKPOINT_EXTERN

}  // namespace tg::nn
