#pragma once
// Hand-made .npy arrays and .npz (zip) archives, byte by byte, for tests and the
// checkpoint fuzzers: they can hold what tg::nn::save never writes (a bad .npy header,
// an unknown compression method, the same name twice, too few data bytes, a deflated
// entry made elsewhere).
//
// The archive is what numpy.savez writes: stored (uncompressed) entries, each a local
// header and its bytes, then the central directory and the end record. No zip64, no
// data descriptors. Needs nothing but the standard library (CRC-32 is computed here).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tg::test {

/// CRC-32 (the zip/zlib polynomial 0xEDB88320) of `bytes`.
inline std::uint32_t crc32(const std::string& bytes) {
    static const std::vector<std::uint32_t> table = [] {
        std::vector<std::uint32_t> t(256);
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/// One entry of a hand-made archive.
struct ZipEntry {
    std::string name;
    std::string bytes;         ///< as they stand in the archive (deflated when method is 8)
    std::uint16_t method = 0;  ///< compression method written in the headers (0: stored)
    /// CRC-32 and size of the entry's uncompressed bytes, when `bytes` are compressed
    /// (unset: those of `bytes`).
    std::optional<std::pair<std::uint32_t, std::uint32_t>> uncompressed = std::nullopt;
};

/// A zip archive of `entries`, in the given order (names may repeat).
inline std::string stored_zip(const std::vector<ZipEntry>& entries) {
    std::string out, directory;
    auto u16 = [](std::string& s, std::uint32_t v) {
        s += static_cast<char>(v & 0xFF);
        s += static_cast<char>((v >> 8) & 0xFF);
    };
    auto u32 = [&](std::string& s, std::uint32_t v) {
        u16(s, v & 0xFFFF);
        u16(s, v >> 16);
    };
    for (const ZipEntry& e : entries) {
        const std::uint32_t offset = static_cast<std::uint32_t>(out.size());
        const std::uint32_t size = static_cast<std::uint32_t>(e.bytes.size());
        const std::uint32_t crc = e.uncompressed ? e.uncompressed->first : crc32(e.bytes);
        const std::uint32_t inflated = e.uncompressed ? e.uncompressed->second : size;
        const std::uint32_t name_length = static_cast<std::uint32_t>(e.name.size());
        // Local file header.
        u32(out, 0x04034b50);
        u16(out, 20);        // version needed
        u16(out, 0);         // flags
        u16(out, e.method);  // compression method
        u16(out, 0);         // time
        u16(out, 0x21);      // date: 1980-01-01
        u32(out, crc);
        u32(out, size);      // compressed size
        u32(out, inflated);  // uncompressed size
        u16(out, name_length);
        u16(out, 0);  // extra field length
        out += e.name;
        out += e.bytes;
        // Its central directory record.
        u32(directory, 0x02014b50);
        u16(directory, 20);  // version made by
        u16(directory, 20);  // version needed
        u16(directory, 0);
        u16(directory, e.method);
        u16(directory, 0);
        u16(directory, 0x21);
        u32(directory, crc);
        u32(directory, size);
        u32(directory, inflated);
        u16(directory, name_length);
        u16(directory, 0);  // extra
        u16(directory, 0);  // comment
        u16(directory, 0);  // disk number
        u16(directory, 0);  // internal attributes
        u32(directory, 0);  // external attributes
        u32(directory, offset);
        directory += e.name;
    }
    const std::uint32_t directory_offset = static_cast<std::uint32_t>(out.size());
    out += directory;
    u32(out, 0x06054b50);
    u16(out, 0);
    u16(out, 0);
    u16(out, static_cast<std::uint32_t>(entries.size()));
    u16(out, static_cast<std::uint32_t>(entries.size()));
    u32(out, static_cast<std::uint32_t>(directory.size()));
    u32(out, directory_offset);
    u16(out, 0);  // comment length
    return out;
}

/// A .npy array of format version 1.0 with the header dictionary `header` (padded with
/// spaces and a newline as numpy does) followed by `data`.
inline std::string npy_with_header(const std::string& header, const std::string& data) {
    std::string dict = header;
    const std::size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(dict.size() & 0xFF);
    out += static_cast<char>((dict.size() >> 8) & 0xFF);
    return out + dict + data;
}

/// A C-ordered little-endian float64 .npy array of `shape` holding `values`.
inline std::string npy_f8(const std::vector<std::size_t>& shape,
                          const std::vector<double>& values) {
    // Python's tuple syntax: (), (3,), (3, 4).
    std::string tuple = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        tuple += (i ? ", " : "") + std::to_string(shape[i]);
    tuple += shape.size() == 1 ? ",)" : ")";
    std::string data(values.size() * sizeof(double), '\0');
    for (std::size_t i = 0; i < values.size(); ++i)
        for (std::size_t b = 0; b < sizeof(double); ++b)
            data[i * sizeof(double) + b] = reinterpret_cast<const char*>(&values[i])[b];
    return npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': " + tuple + ", }",
                           data);
}

}  // namespace tg::test
