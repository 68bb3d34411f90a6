// Element conversion of the array files (io/include/tapegrad/io/detail/convert.hpp):
// float16 and bfloat16 by their bits, nearest-even narrowing, and the rules of
// <tapegrad/io/dtype.hpp> (floats round, integers and bools are exact or an error).

#include <tapegrad/io/detail/convert.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tg::test {
namespace {

using io::DType;
using io::detail::ConversionError;
using io::detail::convert_from;
using io::detail::convert_to;
using io::detail::decode_float;
using io::detail::encode_float;
using io::detail::kBfloat16;
using io::detail::kFloat16;
using io::detail::kFloat32;

TEST(Convert, EveryHalfAndBfloat16ValueRoundTrips) {
    // Decoding is exact and encoding the result gives the same bits back, for all 65,536
    // patterns but NaNs (which come back as the quiet NaN of the same sign).
    std::size_t nans = 0;
    for (std::uint32_t bits = 0; bits < 65536; ++bits)
        for (const auto format : {kFloat16, kBfloat16}) {
            const double x = decode_float(bits, format);
            const auto again = encode_float(x, format);
            ASSERT_TRUE(again.has_value()) << bits;
            if (std::isnan(x)) {
                ++nans;
                EXPECT_TRUE(std::isnan(decode_float(*again, format)));
                EXPECT_EQ(std::signbit(x), (bits & 0x8000) != 0);
            } else {
                ASSERT_EQ(*again, bits) << "bits " << bits << " value " << x;
            }
        }
    EXPECT_EQ(nans, 2u * 1023 + 2u * 127) << "NaN patterns: 2·(2^10 − 1) and 2·(2^7 − 1)";
    // A few values by their known bits (IEEE 754 binary16; bfloat16 is float32's top half).
    EXPECT_EQ(decode_float(0x3C00, kFloat16), 1.0);
    EXPECT_EQ(decode_float(0x7BFF, kFloat16), 65504.0);
    EXPECT_EQ(decode_float(0x0001, kFloat16), std::ldexp(1.0, -24));  // smallest subnormal
    EXPECT_EQ(decode_float(0xC000, kFloat16), -2.0);
    EXPECT_EQ(decode_float(0x3F80, kBfloat16), 1.0);
    EXPECT_EQ(decode_float(0x4049, kBfloat16), 3.140625);
    EXPECT_TRUE(std::isinf(decode_float(0x7C00, kFloat16)));
}

TEST(Convert, NarrowingRoundsToNearestEven) {
    // Halfway between 1 and the next float16 (1 + 2^-10): ties to the even 1.
    EXPECT_EQ(*encode_float(1 + std::ldexp(1.0, -11), kFloat16), 0x3C00u);
    EXPECT_EQ(*encode_float(1 + 3 * std::ldexp(1.0, -11), kFloat16), 0x3C02u);  // to even 2
    EXPECT_EQ(*encode_float(1 + std::ldexp(1.0, -11) + 1e-12, kFloat16), 0x3C01u);
    // Largest float16 65504; 65520 is halfway to 65536 and ties away to infinity: refused.
    EXPECT_EQ(*encode_float(65519.99, kFloat16), 0x7BFFu);
    EXPECT_FALSE(encode_float(65520.0, kFloat16).has_value());
    EXPECT_FALSE(encode_float(-1e6, kFloat16).has_value());
    // Subnormals, and a subnormal rounding up to the smallest normal 2^-14.
    EXPECT_EQ(*encode_float(std::ldexp(1.0, -25), kFloat16), 0x0000u);  // tie to even 0
    EXPECT_EQ(*encode_float(std::ldexp(3.0, -26), kFloat16), 0x0001u);
    EXPECT_EQ(*encode_float(std::ldexp(1.0, -14) - std::ldexp(1.0, -26), kFloat16), 0x0400u);
    EXPECT_EQ(*encode_float(-0.0, kFloat16), 0x8000u);
    EXPECT_EQ(*encode_float(-INFINITY, kBfloat16), 0xFF80u);
    // bfloat16 of pi: 0x40490FDB (float32) rounds down to 0x4049.
    EXPECT_EQ(*encode_float(3.141592653589793, kBfloat16), 0x4049u);
    // float32 narrowing agrees with the hardware's conversion on random doubles.
    std::mt19937_64 gen(26);
    std::uniform_real_distribution<double> mantissa(-1, 1);
    std::uniform_int_distribution<int> exponent(-160, 127);
    for (int i = 0; i < 100000; ++i) {
        const double x = std::ldexp(mantissa(gen), exponent(gen));
        const float f = static_cast<float>(x);
        std::uint32_t bits;
        std::memcpy(&bits, &f, 4);
        ASSERT_EQ(*encode_float(x, kFloat32), bits) << x;
    }
    EXPECT_FALSE(encode_float(std::numeric_limits<double>::max(), kFloat32).has_value());
}

/// convert_from of `values` (stored as S, dtype `dtype`) to T.
template <class T, class S>
std::vector<T> from(DType dtype, const std::vector<S>& values) {
    std::unique_ptr<T[]> out(new T[values.size()]);
    convert_from(dtype, values.data(), values.size(), out.get());
    return std::vector<T>(out.get(), out.get() + values.size());
}

/// The problem `convert` raises, or "(converted)".
template <class F>
std::string problem_of(F&& convert) {
    try {
        convert();
    } catch (const ConversionError& e) {
        return e.problem;
    }
    return "(converted)";
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(Convert, ToFloatTypesRoundsAndKeepsNanAndInfinity) {
    const double inf = std::numeric_limits<double>::infinity();
    const auto f = from<float>(DType::float64, std::vector<double>{0.1, -inf, 1e-50, 3e38});
    EXPECT_EQ(f[0], 0.1f);
    EXPECT_EQ(f[1], -std::numeric_limits<float>::infinity());
    EXPECT_EQ(f[2], 0.0f);
    EXPECT_EQ(f[3], 3e38f);
    EXPECT_TRUE(std::isnan(from<float>(DType::float64, std::vector<double>{NAN})[0]));
    // int64 to float: one rounding, to nearest (2^53 + 1 is not a double).
    const std::int64_t big = (std::int64_t{1} << 53) + 1;
    EXPECT_EQ(from<double>(DType::int64, std::vector<std::int64_t>{big, -7})[0], 0x1p53);
    EXPECT_EQ(from<float>(DType::int32, std::vector<std::int32_t>{-7})[0], -7.0f);
    EXPECT_EQ(from<double>(DType::boolean, std::vector<std::uint8_t>{1, 0})[0], 1.0);
    EXPECT_EQ(from<double>(DType::float16, std::vector<std::uint16_t>{0x3C00})[0], 1.0);
    EXPECT_EQ(problem_of([] {
                  from<float>(DType::float64, std::vector<double>{1, 1e300});
              }),
              "holds 1e+300 (element 1 in C order), beyond float32's largest finite value "
              "3.4028234663852886e+38; use a wider type (float64)");
}

TEST(Convert, ToIntegersAndBoolIsExactOrAnError) {
    EXPECT_EQ((from<std::int32_t>(DType::float64, std::vector<double>{2.0, -3.0, -0.0})),
              (std::vector<std::int32_t>{2, -3, 0}));
    EXPECT_EQ((from<std::int64_t>(DType::float32, std::vector<float>{0x1p62f})),
              (std::vector<std::int64_t>{std::int64_t{1} << 62}));
    EXPECT_EQ((from<std::uint8_t>(DType::int64, std::vector<std::int64_t>{0, 255})),
              (std::vector<std::uint8_t>{0, 255}));
    EXPECT_TRUE(has(problem_of([] {
                        from<std::int32_t>(DType::float64, std::vector<double>{0, 2.5});
                    }),
                    "holds 2.5 (element 1 in C order), which int32 cannot hold exactly"));
    EXPECT_TRUE(
        has(problem_of([] { from<std::int64_t>(DType::float64, std::vector<double>{NAN}); }),
            "holds nan"));
    EXPECT_TRUE(
        has(problem_of([] { from<std::int64_t>(DType::float64, std::vector<double>{0x1p63}); }),
            "int64 cannot hold exactly"));
    EXPECT_TRUE(has(
        problem_of([] { from<std::int32_t>(DType::int64, std::vector<std::int64_t>{1LL << 31}); }),
        "holds 2147483648"));
    EXPECT_TRUE(
        has(problem_of([] { from<std::uint8_t>(DType::int32, std::vector<std::int32_t>{-1}); }),
            "whole numbers from 0 to 255"));
    EXPECT_TRUE(has(problem_of([] {
                        from<bool>(DType::float64, std::vector<double>{1, 0, 2});
                    }),
                    "holds 2 (element 2 in C order), which bool cannot hold exactly (0 or 1)"));
    EXPECT_TRUE(has(problem_of([] {
                        from<double>(DType::boolean, std::vector<std::uint8_t>{1, 2});
                    }),
                    "holds the byte 2 (element 1 in C order) in a bool array"));
    EXPECT_EQ((from<bool>(DType::int64, std::vector<std::int64_t>{1, 0})),
              (std::vector<bool>{true, false}));
}

TEST(Convert, ToHalfOnSaveRefusesOverflow) {
    const std::vector<double> values{0.5, -2, 65504};
    std::vector<std::uint16_t> half(3);
    convert_to(DType::float16, values.data(), 3, half.data());
    EXPECT_EQ(half, (std::vector<std::uint16_t>{0x3800, 0xC000, 0x7BFF}));
    const std::vector<float> big{1, 70000};
    EXPECT_TRUE(has(problem_of([&] { convert_to(DType::float16, big.data(), 2, half.data()); }),
                    "holds 70000 (element 1 in C order), beyond float16's largest finite value "
                    "65504"));
    convert_to(DType::bfloat16, big.data(), 2, half.data());  // bfloat16 reaches 3.4e38
    EXPECT_EQ(decode_float(half[1], kBfloat16), 70144.0);     // 70000 to 8 significant bits
}

}  // namespace
}  // namespace tg::test
