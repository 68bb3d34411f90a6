#pragma once
// The header of a safetensors file, parsed and written by tapegrad's own code (no JSON
// library). The format (https://github.com/huggingface/safetensors, README "Format"):
//
//     N          8 bytes, unsigned little-endian: the length of the header
//     header     N bytes of UTF-8 JSON (at most 100,000,000: the library's limit)
//     data       the rest of the file: every tensor's bytes, little-endian, C order
//
//     {"__metadata__": {"format": "pt"},
//      "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
//
// Grammar accepted (JSON, RFC 8259, restricted to this shape; everything else is refused):
//
//     header   := '{' ws [member (ws ',' ws member)*] ws '}' ws      ('{' is the first byte)
//     member   := string ws ':' ws (tensor | metadata)   (metadata when the key is "__metadata__")
//     metadata := '{' ws [string ws ':' ws string (ws ',' ws string ws ':' ws string)*] ws '}'
//     tensor   := '{' ... '}' with exactly the keys "dtype" (a string: F64, F32, F16, BF16,
//                 I64, I32, U8, BOOL), "shape" (an array of whole numbers, possibly empty)
//                 and "data_offsets" (an array of two whole numbers), in any order
//     number   := '0' | [1-9][0-9]*                            (no sign, fraction or exponent)
//     string   := JSON string: valid UTF-8, escapes \" \\ \/ \b \f \n \r \t \uXXXX (surrogate
//                 pairs joined; a lone surrogate is refused), no control character
//     ws       := (' ' | '\t' | '\n' | '\r')*
//
// Checked after parsing: no name twice; each tensor's byte count (elements × dtype size,
// without overflow) equals end − begin of its data_offsets; sorted by offset, the tensors
// cover the data section exactly: the first begins at 0, each begins where the one
// before ends (no overlap, no hole), the last ends at the end of the file.

#include <tapegrad/io/dtype.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tg::io::detail {

/// Longest header accepted: the safetensors library's MAX_HEADER_SIZE.
constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

/// One tensor of a safetensors header.
struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::float32;
    std::vector<std::size_t> shape;
    std::uint64_t begin = 0;  ///< data_offsets[0]: first byte in the data section
    std::uint64_t end = 0;    ///< data_offsets[1]: one past the last byte
};

/// What a safetensors header says.
struct SafetensorsHeader {
    std::vector<SafetensorsEntry> tensors;        ///< in the order of their data
    std::map<std::string, std::string> metadata;  ///< "__metadata__", empty when absent
};

/// A malformed header; `problem` says what is wrong and where, without a file name.
struct SafetensorsFormatError {
    std::string problem;
};

/// The safetensors name of a dtype: "F64", "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL".
std::string safetensors_dtype_name(DType dtype);

/// Parses the `size` bytes of JSON at `text`, the header of a file whose data section
/// holds `data_size` bytes, and checks it as above. Throws SafetensorsFormatError.
SafetensorsHeader parse_safetensors_header(const char* text, std::size_t size,
                                           std::uint64_t data_size);

/// Whether `text` is valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(const std::string& text);

/// The JSON header of `header` (tensors in the order given, their data_offsets as
/// given; "__metadata__" first when not empty), padded with spaces so that the data
/// start at a multiple of 8 bytes from the file's start, as the safetensors library
/// writes it. Names and metadata must be valid UTF-8 (the caller checks).
std::string encode_safetensors_header(const SafetensorsHeader& header);

}  // namespace tg::io::detail
