#pragma once
// The readers of named arrays behind tg::io::load_npz, tg::io::load_safetensors and
// tg::nn::load_state_dict: each array's name, dtype and shape are given to a filter
// before any of its data is read, so a caller that wants only some arrays (those of a
// model, with the model's shapes) reads and allocates only those.

#include <tapegrad/array.hpp>
#include <tapegrad/io/dtype.hpp>
#include <tapegrad/io/safetensors.hpp>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tg::io::detail {

/// What a file says of one array, before its data are read.
struct ArrayInfo {
    std::string name;                ///< "0.weight" (an .npz entry's name without ".npy")
    DType dtype = DType::float64;    ///< as stored
    std::vector<std::size_t> shape;  ///< () for a 0-d array
};

/// Whether to read an array's data (false: they are never read). May throw.
using ArrayFilter = std::function<bool(const ArrayInfo&)>;
/// Receives each array read, converted to T.
template <class T>
using ArraySink = std::function<void(const ArrayInfo&, Array<T>&&)>;

/// Reads the .npz archive `path`: for each entry, in the archive's order, `want` then,
/// when it says so, `take`. tg::IoError "what: 'path': ..." for a file that cannot be read,
/// a malformed entry, a dtype tapegrad does not read, or a value T cannot hold.
template <class T>
void read_npz_arrays(const char* what, const std::string& path, const ArrayFilter& want,
                     const ArraySink<T>& take);

/// Reads the safetensors file `path` in the same way, in the order of the data; returns
/// its "__metadata__".
template <class T>
std::map<std::string, std::string> read_safetensors_arrays(const char* what,
                                                           const std::string& path,
                                                           const ArrayFilter& want,
                                                           const ArraySink<T>& take);

/// Arrays to write, by name, in the order to write them (the arrays are not copied).
template <class T>
using ArrayRefs = std::vector<std::pair<std::string, const Array<T>*>>;

/// save_npz of `arrays`, with "what: 'path': " starting its errors.
template <class T>
void write_npz_arrays(const char* what, const std::string& path, const ArrayRefs<T>& arrays);

/// save_safetensors of `arrays` (their data in the order given), with "what: 'path': "
/// starting its errors.
template <class T>
void write_safetensors_arrays(const char* what, const std::string& path, const ArrayRefs<T>& arrays,
                              const SafetensorsOptions& options);

/// The references of `arrays`, in name order.
template <class T>
ArrayRefs<T> refs(const NamedArrays<T>& arrays) {
    ArrayRefs<T> out;
    for (const auto& [name, array] : arrays) out.emplace_back(name, &array);
    return out;
}

#define TG_IO_ARRAYS_EXTERN(T)                                                                   \
    extern template void read_npz_arrays<T>(const char*, const std::string&, const ArrayFilter&, \
                                            const ArraySink<T>&);                                \
    extern template std::map<std::string, std::string> read_safetensors_arrays<T>(               \
        const char*, const std::string&, const ArrayFilter&, const ArraySink<T>&);               \
    extern template void write_npz_arrays<T>(const char*, const std::string&,                    \
                                             const ArrayRefs<T>&);                               \
    extern template void write_safetensors_arrays<T>(                                            \
        const char*, const std::string&, const ArrayRefs<T>&, const SafetensorsOptions&);
TG_IO_ARRAYS_EXTERN(double)
TG_IO_ARRAYS_EXTERN(float)
TG_IO_ARRAYS_EXTERN(std::int64_t)
TG_IO_ARRAYS_EXTERN(std::int32_t)
TG_IO_ARRAYS_EXTERN(std::uint8_t)
TG_IO_ARRAYS_EXTERN(bool)
#undef TG_IO_ARRAYS_EXTERN

}  // namespace tg::io::detail
