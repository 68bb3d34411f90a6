#pragma once
// The element types tapegrad reads from and writes to array files (.npz, safetensors).
//
//     tg::io::DType    numpy   safetensors   C++ type
//     float64          <f8     F64           double
//     float32          <f4     F32           float
//     float16          <f2     F16           (read only: widened to the type asked for)
//     bfloat16         --      BF16          (read only: widened to the type asked for)
//     int64            <i8     I64           std::int64_t
//     int32            <i4     I32           std::int32_t
//     uint8            |u1     U8            std::uint8_t
//     boolean          |b1     BOOL          bool
//
// A file's arrays are converted to the type the caller asks for. To a floating type:
// rounded to nearest (as numpy's astype), NaN and infinities kept, but a finite value
// too large for the type is an error, not an infinity. To an integer type or bool: the
// value must be held exactly (2.0 reads as the int 2; 2.5, NaN, or 300 as a uint8 is an
// error; a bool is 0 or 1). Files may store float16 and bfloat16, and the savers can
// narrow float arrays to them (tg::io::save_safetensors), rounding to nearest even.

#include <cstddef>
#include <cstdint>
#include <string>

namespace tg::io {

/// An element type of an array file.
enum class DType { float64, float32, float16, bfloat16, int64, int32, uint8, boolean };

/// The numpy name: "float64", "float32", "float16", "bfloat16", "int64", "int32", "uint8",
/// "bool".
std::string to_string(DType dtype);

/// Bytes per element: 8, 4, 2, 2, 8, 4, 1, 1.
std::size_t dtype_size(DType dtype);

/// Whether the dtype holds floating-point values (float64, float32, float16, bfloat16).
bool is_floating(DType dtype);

/// The dtype of the C++ element types the readers return and the writers take: double,
/// float, std::int64_t, std::int32_t, std::uint8_t and bool.
template <class T>
constexpr DType dtype_of();
/// \cond
template <>
constexpr DType dtype_of<double>() {
    return DType::float64;
}
template <>
constexpr DType dtype_of<float>() {
    return DType::float32;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
    return DType::int64;
}
template <>
constexpr DType dtype_of<std::int32_t>() {
    return DType::int32;
}
template <>
constexpr DType dtype_of<std::uint8_t>() {
    return DType::uint8;
}
template <>
constexpr DType dtype_of<bool>() {
    return DType::boolean;
}
/// \endcond

}  // namespace tg::io
