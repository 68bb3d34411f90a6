#pragma once
// Named arrays in numpy's .npz format, read and written without Python:
//
//     auto arrays = tg::io::load_npz<double>("weights.npz");   // numpy.savez(..., w=w, b=b)
//     tg::Array<double>& w = arrays.at("w");
//     tg::io::save_npz("out.npz", arrays);                     # numpy.load("out.npz")["w"]
//
// An archive holds one entry "NAME.npy" per array, stored (numpy.savez) or deflated
// (numpy.savez_compressed); each entry is a .npy array (format 1.0, 2.0 or 3.0, little-
// or big-endian, C or Fortran order) of dtype float64, float32, float16, int64, int32,
// uint8 or bool, converted on reading to the type asked for by the rules of
// <tapegrad/io/dtype.hpp>. Reading is strict, as tg::nn::load's: every entry's .npy
// header is parsed by tapegrad's own parser and checked (its dtype, its shape against
// its byte count, that byte count against the archive's directory, and that against
// the archive's size and what its compression can give: at most 1032 bytes per deflated
// byte, deflate's largest ratio) before any of its data is read or inflated, so a file
// cannot make the reader allocate more than the arrays its checked sizes declare.

#include <tapegrad/array.hpp>
#include <tapegrad/io/dtype.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace tg::io {

/// Arrays by name, in name order: what the readers return and the writers take.
template <class T>
using NamedArrays = std::map<std::string, Array<T>>;

/// Every array of the .npz archive `path`, entry "NAME.npy" as arrays["NAME"], converted
/// to T (double, float, std::int64_t, std::int32_t, std::uint8_t or bool). tg::IoError
/// "load_npz: 'PATH': ..." when the file cannot be read, is not a .npz archive, holds
/// an entry that is not a well-formed .npy array or whose name does not end in ".npy",
/// a dtype other than those above, or a value T cannot hold ("array 'w' holds 2.5
/// (element 3 in C order), which int32 cannot hold exactly ...").
template <class T>
NamedArrays<T> load_npz(const std::string& path);

/// Writes `arrays` to `path` as numpy.savez does (entry "NAME.npy" per array, stored,
/// format 1.0, C order, little-endian on little-endian machines), replacing the file as
/// a whole: an error leaves an existing file unchanged. tg::ValueError for an empty name
/// or one holding a NUL byte; tg::IoError naming the file when it cannot be written.
template <class T>
void save_npz(const std::string& path, const NamedArrays<T>& arrays);

/// \cond
#define TG_IO_NPZ_EXTERN(T)                                         \
    extern template NamedArrays<T> load_npz<T>(const std::string&); \
    extern template void save_npz<T>(const std::string&, const NamedArrays<T>&);
TG_IO_NPZ_EXTERN(double)
TG_IO_NPZ_EXTERN(float)
TG_IO_NPZ_EXTERN(std::int64_t)
TG_IO_NPZ_EXTERN(std::int32_t)
TG_IO_NPZ_EXTERN(std::uint8_t)
TG_IO_NPZ_EXTERN(bool)
#undef TG_IO_NPZ_EXTERN
/// \endcond

}  // namespace tg::io
