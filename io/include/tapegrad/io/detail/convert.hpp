#pragma once
// Element conversion between the dtypes of array files and the C++ types callers ask
// for, with the rules of <tapegrad/io/dtype.hpp>: to a floating type, nearest (ties to
// even), a finite value beyond the type's range an error; to an integer type or bool,
// exact or an error. float16 and bfloat16 are encoded and decoded here by their bits.

#include <tapegrad/io/dtype.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tg::io::detail {

/// A value the requested type cannot hold. `problem` is a phrase for after the array's
/// name: "holds 2.5 (element 3 in C order), which int32 cannot hold exactly (...)".
struct ConversionError {
    std::string problem;
};

/// An IEEE-754 binary format of at most 32 bits: 10 and 5 for float16, 7 and 8 for
/// bfloat16, 23 and 8 for float32.
struct FloatFormat {
    int mantissa_bits;
    int exponent_bits;
};
constexpr FloatFormat kFloat16{10, 5};
constexpr FloatFormat kBfloat16{7, 8};
constexpr FloatFormat kFloat32{23, 8};

/// The value of `bits` in `format`, exactly (every such value is a double).
double decode_float(std::uint32_t bits, FloatFormat format);

/// The bits of the `format` value nearest `x` (ties to even; NaN stays NaN, quiet, with
/// its sign; infinities stay). std::nullopt when `x` is finite but rounds beyond the
/// format's largest finite value.
std::optional<std::uint32_t> encode_float(double x, FloatFormat format);

/// Converts `count` elements of dtype `from`, in this machine's byte order at `bytes`,
/// to T (double, float, std::int64_t, std::int32_t, std::uint8_t or bool) into `out`.
/// Throws ConversionError for the first element T cannot hold, or a bool byte that is
/// not 0 or 1.
template <class T>
void convert_from(DType from, const void* bytes, std::size_t count, T* out);

/// Writes `count` values of T (float or double) as dtype `to` (float64, float32,
/// float16 or bfloat16), in this machine's byte order, to `out` (dtype_size(to) bytes
/// each). Throws ConversionError for a finite value beyond `to`'s range.
template <class T>
void convert_to(DType to, const T* values, std::size_t count, void* out);

/// Whether this machine stores numbers little-endian (safetensors' byte order).
bool little_endian_machine();

/// Reverses the bytes of each of the `count` elements of `width` bytes at `bytes`.
void swap_bytes(void* bytes, std::size_t count, std::size_t width);

}  // namespace tg::io::detail
