#pragma once
// Named tensors in the safetensors format (Hugging Face's; what PyTorch users share
// weights in), read and written without Python or Rust:
//
//     tg::io::Safetensors<float> file = tg::io::load_safetensors<float>("model.safetensors");
//     tg::Array<float>& w = file.tensors.at("fc.weight");
//     tg::io::save_safetensors("half.safetensors", file.tensors, {{}, tg::io::DType::bfloat16});
//
// A file is an 8-byte little-endian header length N, N bytes of JSON naming each
// tensor's dtype, shape and data_offsets (and an optional "__metadata__" map of strings),
// then the tensors' bytes, little-endian, C order. Dtypes F64, F32, F16, BF16, I64, I32,
// U8 and BOOL are read and converted to the type asked for by the rules of
// <tapegrad/io/dtype.hpp> (F16 and BF16 are widened exactly). The reader is strict:
// the header (at most 100,000,000 bytes, the safetensors library's limit) must lie
// inside the file, parse as JSON of exactly that form (grammar in
// io/include/tapegrad/io/detail/safetensors_header.hpp), name no tensor twice, give
// every tensor as many bytes as its shape and dtype take, and its data_offsets must
// cover the data section exactly: inside the file, no overlap, no hole. All of that is
// checked before any tensor's data is read; the reader never allocates more than the
// file's header, an index of its tensors and the arrays it returns, whose sizes the
// file's size bounds.

#include <tapegrad/array.hpp>
#include <tapegrad/io/dtype.hpp>
#include <tapegrad/io/npz.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tg::io {

/// What a safetensors file holds.
template <class T>
struct Safetensors {
    NamedArrays<T> tensors;                       ///< by name
    std::map<std::string, std::string> metadata;  ///< "__metadata__" (empty when absent)
};

/// How save_safetensors writes.
struct SafetensorsOptions {
    /// Written as "__metadata__" when not empty (e.g. {{"format", "pt"}}).
    std::map<std::string, std::string> metadata;
    /// The dtype to store float or double arrays as: float64, float32, float16 or
    /// bfloat16 (narrowed to nearest even; a finite value beyond the dtype's range is an
    /// error). Unset: the arrays' own type. Integer and bool arrays are stored as
    /// themselves.
    std::optional<DType> dtype;
};

/// Every tensor of the safetensors file `path`, converted to T (double, float,
/// std::int64_t, std::int32_t, std::uint8_t or bool), and its metadata. tg::IoError
/// "load_safetensors: 'PATH': ..." naming the problem when the file cannot be read, is
/// truncated, its header is malformed or inconsistent with the file, or holds a value T
/// cannot hold.
template <class T>
Safetensors<T> load_safetensors(const std::string& path);

/// Writes `tensors` to `path` (in name order, the data aligned to 8 bytes, as the
/// safetensors library writes), replacing the file as a whole: written to "PATH.tmp"
/// in the same folder, flushed to the disk and renamed, so an error or a kill leaves an
/// existing file unchanged. tg::ValueError for a name that is empty, not UTF-8 or
/// "__metadata__", metadata that is not UTF-8, a dtype the arrays cannot be stored as, or
/// a finite value beyond that dtype's range; tg::IoError naming the file when it cannot
/// be written.
template <class T>
void save_safetensors(const std::string& path, const NamedArrays<T>& tensors,
                      const SafetensorsOptions& options = {});

/// \cond
#define TG_IO_SAFETENSORS_EXTERN(T)                                                     \
    extern template Safetensors<T> load_safetensors<T>(const std::string&);             \
    extern template void save_safetensors<T>(const std::string&, const NamedArrays<T>&, \
                                             const SafetensorsOptions&);
TG_IO_SAFETENSORS_EXTERN(double)
TG_IO_SAFETENSORS_EXTERN(float)
TG_IO_SAFETENSORS_EXTERN(std::int64_t)
TG_IO_SAFETENSORS_EXTERN(std::int32_t)
TG_IO_SAFETENSORS_EXTERN(std::uint8_t)
TG_IO_SAFETENSORS_EXTERN(bool)
#undef TG_IO_SAFETENSORS_EXTERN
/// \endcond

}  // namespace tg::io
