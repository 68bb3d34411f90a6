#include <tapegrad/io/detail/convert.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

namespace tg::io {

std::string to_string(DType dtype) {
    switch (dtype) {
        case DType::float64: return "float64";
        case DType::float32: return "float32";
        case DType::float16: return "float16";
        case DType::bfloat16: return "bfloat16";
        case DType::int64: return "int64";
        case DType::int32: return "int32";
        case DType::uint8: return "uint8";
        case DType::boolean: return "bool";
    }
    return "unknown dtype";
}

std::size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::float64:
        case DType::int64: return 8;
        case DType::float32:
        case DType::int32: return 4;
        case DType::float16:
        case DType::bfloat16: return 2;
        case DType::uint8:
        case DType::boolean: return 1;
    }
    return 0;
}

bool is_floating(DType dtype) {
    return dtype == DType::float64 || dtype == DType::float32 || dtype == DType::float16 ||
           dtype == DType::bfloat16;
}

namespace detail {
namespace {

/// The shortest decimal of at least 6 significant digits (70000, not 7e+04) that reads
/// back as x (0.1, not 0.10000000000000001).
std::string shortest(double x) {
    char text[32];
    for (int digits = 6; digits <= 17; ++digits) {
        std::snprintf(text, sizeof text, "%.*g", digits, x);
        if (std::strtod(text, nullptr) == x) break;
    }
    return text;
}

/// Element `i` of dtype `from` at `bytes`, as a double (exact for every floating dtype).
double floating_element(DType from, const unsigned char* bytes, std::size_t i) {
    switch (from) {
        case DType::float64: {
            double v;
            std::memcpy(&v, bytes + i * 8, 8);
            return v;
        }
        case DType::float32: {
            float v;
            std::memcpy(&v, bytes + i * 4, 4);
            return v;
        }
        default: {  // float16, bfloat16
            std::uint16_t v;
            std::memcpy(&v, bytes + i * 2, 2);
            return decode_float(v, from == DType::float16 ? kFloat16 : kBfloat16);
        }
    }
}

/// Element `i` of integer dtype `from` (int64, int32, uint8, bool) at `bytes`.
std::int64_t integer_element(DType from, const unsigned char* bytes, std::size_t i) {
    switch (from) {
        case DType::int64: {
            std::int64_t v;
            std::memcpy(&v, bytes + i * 8, 8);
            return v;
        }
        case DType::int32: {
            std::int32_t v;
            std::memcpy(&v, bytes + i * 4, 4);
            return v;
        }
        default: return bytes[i];  // uint8, bool
    }
}

std::string element(std::size_t i) { return "(element " + std::to_string(i) + " in C order)"; }

[[noreturn]] void not_held(const std::string& value, std::size_t i, DType to) {
    std::string range;
    if (to == DType::boolean)
        range = "0 or 1";
    else if (to == DType::uint8)
        range = "whole numbers from 0 to 255";
    else if (to == DType::int32)
        range = "whole numbers from -2147483648 to 2147483647";
    else
        range = "whole numbers from -2^63 to 2^63 - 1";
    throw ConversionError{"holds " + value + " " + element(i) + ", which " + to_string(to) +
                          " cannot hold exactly (" + range + "); ask for a type that holds it"};
}

[[noreturn]] void too_large(double value, std::size_t i, DType to) {
    const double largest = to == DType::float32   ? std::numeric_limits<float>::max()
                           : to == DType::float16 ? 65504.0
                                                  : decode_float(0x7f7f, kBfloat16);
    throw ConversionError{"holds " + shortest(value) + " " + element(i) + ", beyond " +
                          to_string(to) + "'s largest finite value " + shortest(largest) +
                          "; use a wider type (float64)"};
}

/// x as T, to the nearest float (T float or double); ConversionError beyond float's range.
template <class T>
T to_floating(double x, std::size_t i) {
    if constexpr (std::is_same_v<T, double>) {
        return x;
    } else {
        const std::optional<std::uint32_t> bits = encode_float(x, kFloat32);
        if (!bits) too_large(x, i, DType::float32);
        float out;
        std::memcpy(&out, &*bits, 4);
        return out;
    }
}

/// The value `v` (an integer or a whole double) as T, when T holds it exactly.
template <class T, class V>
T exact(V v, std::size_t i, const std::string& shown) {
    using Limits = std::numeric_limits<T>;
    bool fits;
    if constexpr (std::is_floating_point_v<V>) {
        // Bounds as doubles: min is -2^k exactly; max + 1 is 2^k exactly.
        fits = v == std::trunc(v) && v >= static_cast<double>(Limits::min()) &&
               v < static_cast<double>(Limits::max()) + 1.0;
    } else {
        fits = v >= static_cast<std::int64_t>(Limits::min()) &&
               v <= static_cast<std::int64_t>(Limits::max());
    }
    if (!fits) not_held(shown, i, dtype_of<T>());
    return static_cast<T>(v);
}

}  // namespace

bool little_endian_machine() {
    const std::uint16_t one = 1;
    unsigned char first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

void swap_bytes(void* bytes, std::size_t count, std::size_t width) {
    auto* b = static_cast<unsigned char*>(bytes);
    if (width > 1)
        for (std::size_t i = 0; i < count; ++i) std::reverse(b + i * width, b + (i + 1) * width);
}

double decode_float(std::uint32_t bits, FloatFormat format) {
    const int m = format.mantissa_bits, e = format.exponent_bits;
    const int bias = (1 << (e - 1)) - 1;
    const std::uint32_t mantissa = bits & ((1u << m) - 1);
    const std::uint32_t exponent = (bits >> m) & ((1u << e) - 1);
    double magnitude;
    if (exponent == (1u << e) - 1)
        magnitude = mantissa ? std::numeric_limits<double>::quiet_NaN()
                             : std::numeric_limits<double>::infinity();
    else if (exponent == 0)  // subnormal: mantissa · 2^(1 − bias − m)
        magnitude = std::ldexp(static_cast<double>(mantissa), 1 - bias - m);
    else  // (2^m + mantissa) · 2^(exponent − bias − m)
        magnitude = std::ldexp(static_cast<double>(mantissa | (1u << m)),
                               static_cast<int>(exponent) - bias - m);
    return std::copysign(magnitude, (bits >> (m + e)) & 1 ? -1.0 : 1.0);
}

std::optional<std::uint32_t> encode_float(double x, FloatFormat format) {
    const int m = format.mantissa_bits, e = format.exponent_bits;
    const int bias = (1 << (e - 1)) - 1;
    const std::uint32_t sign = std::signbit(x) ? 1u << (m + e) : 0u;
    const std::uint32_t infinity = ((1u << e) - 1) << m;
    if (std::isnan(x)) return sign | infinity | 1u << (m - 1);
    if (std::isinf(x)) return sign | infinity;
    const double a = std::fabs(x);
    if (a == 0) return sign;
    // a lies in [2^p, 2^(p+1)); below the smallest normal 2^(1 − bias) the quantum stays
    // that of the smallest binade (subnormals).
    int p;
    std::frexp(a, &p);
    p = std::max(p - 1, 1 - bias);
    // q = a / 2^(p − m) rounded to nearest even: 2^m <= q <= 2^(m+1) for a normal,
    // q <= 2^m for a subnormal. The encoding is ((p + bias − 1) << m) + q, whose carries
    // give the next binade when q = 2^(m+1), and the smallest normal when a subnormal
    // rounds up to 2^m.
    const double q = std::nearbyint(std::ldexp(a, m - p));
    const std::uint64_t bits =
        (static_cast<std::uint64_t>(p + bias - 1) << m) + static_cast<std::uint64_t>(q);
    if (bits >= infinity) return std::nullopt;
    return sign | static_cast<std::uint32_t>(bits);
}

template <class T>
void convert_from(DType from, const void* bytes, std::size_t count, T* out) {
    const auto* b = static_cast<const unsigned char*>(bytes);
    const DType to = dtype_of<T>();
    if (from == DType::boolean)
        for (std::size_t i = 0; i < count; ++i)
            if (b[i] > 1)
                throw ConversionError{"holds the byte " + std::to_string(b[i]) + " " + element(i) +
                                      " in a bool array, where only 0 and 1 are"};
    if (from == to && !std::is_same_v<T, bool>) {
        std::memcpy(out, bytes, count * sizeof(T));
        return;
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (is_floating(from)) {
            const double v = floating_element(from, b, i);
            if constexpr (std::is_floating_point_v<T>)
                out[i] = to_floating<T>(v, i);
            else
                out[i] = exact<T>(v, i, shortest(v));
        } else {
            const std::int64_t v = integer_element(from, b, i);
            if constexpr (std::is_floating_point_v<T>)
                out[i] = static_cast<T>(v);  // one rounding, to nearest
            else
                out[i] = exact<T>(v, i, std::to_string(v));
        }
    }
}

template <class T>
void convert_to(DType to, const T* values, std::size_t count, void* out) {
    static_assert(std::is_floating_point_v<T>);
    auto* o = static_cast<unsigned char*>(out);
    if (to == dtype_of<T>()) {
        std::memcpy(out, values, count * sizeof(T));
    } else if (to == DType::float64) {
        for (std::size_t i = 0; i < count; ++i) {
            const double v = values[i];
            std::memcpy(o + i * 8, &v, 8);
        }
    } else {
        const std::size_t width = dtype_size(to);
        const FloatFormat format = to == DType::float32   ? kFloat32
                                   : to == DType::float16 ? kFloat16
                                                          : kBfloat16;
        for (std::size_t i = 0; i < count; ++i) {
            const std::optional<std::uint32_t> bits = encode_float(values[i], format);
            if (!bits) too_large(values[i], i, to);
            if (width == 4) {
                std::memcpy(o + i * 4, &*bits, 4);
            } else {
                const auto half = static_cast<std::uint16_t>(*bits);
                std::memcpy(o + i * 2, &half, 2);
            }
        }
    }
}

template void convert_from<double>(DType, const void*, std::size_t, double*);
template void convert_from<float>(DType, const void*, std::size_t, float*);
template void convert_from<std::int64_t>(DType, const void*, std::size_t, std::int64_t*);
template void convert_from<std::int32_t>(DType, const void*, std::size_t, std::int32_t*);
template void convert_from<std::uint8_t>(DType, const void*, std::size_t, std::uint8_t*);
template void convert_from<bool>(DType, const void*, std::size_t, bool*);
template void convert_to<double>(DType, const double*, std::size_t, void*);
template void convert_to<float>(DType, const float*, std::size_t, void*);

}  // namespace detail
}  // namespace tg::io
