#pragma once
// numpy's .npy format, read and written by tapegrad's own code (no xtensor in the read
// path: its parser had three defects, docs/notes.md). The format
// (numpy.lib.format, versions 1.0, 2.0 and 3.0):
//
//     \x93NUMPY  major minor  header_length  header  data
//     6 bytes    1     1      2 bytes (1.0) or 4 bytes (2.0, 3.0), little-endian
//
// The header is a Python dict literal, padded with spaces and ended by a newline:
//
//     {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
//
// Grammar accepted (numpy's writer produces a subset of it; everything else is refused):
//
//     header := ws '{' ws [item (ws ',' ws item)* ws [',' ws]] '}' ws
//     item   := key ws ':' ws value           (each of the three keys exactly once)
//     key    := string                         ('descr', 'fortran_order', 'shape')
//     descr  := string of 2..32 printable characters, no backslash
//     fortran_order := 'True' | 'False'
//     shape  := '(' ws ')' | '(' ws int ws ',' ws ')' | '(' ws int (ws ',' ws int)+ ws [',' ws] ')'
//     int    := '0' | [1-9][0-9]* ['L']        (the L of Python 2's numpy, in 1.0 files)
//     string := "'" chars "'" | '"' chars '"'
//     ws     := (' ' | '\t' | '\n' | '\r')*
//
// A one-element shape needs its trailing comma ((3) is an int in Python, not a tuple,
// and numpy.load refuses it too). At most 64 axes (numpy 2's limit), at most 10,000
// header bytes (numpy.load's default limit). Data follow the header with no gap.

#include <cstddef>
#include <string>
#include <vector>

namespace tg::io::detail {

/// What a .npy header says.
struct NpyHeader {
    std::string descr;               ///< e.g. "<f8"
    bool fortran_order = false;      ///< data in column-major order
    std::vector<std::size_t> shape;  ///< () for a 0-d array
    std::size_t data_offset = 0;     ///< bytes before the data: preamble + header
    std::size_t count() const;       ///< number of elements (1 for a 0-d array)
};

/// Longest header accepted, as numpy.load's default max_header_size.
constexpr std::size_t kMaxNpyHeader = 10000;
/// Bytes of the preamble before the header: 10 for version 1.0, 12 for 2.0 and 3.0.
constexpr std::size_t kNpyPreambleMin = 10;
constexpr std::size_t kNpyPreambleMax = 12;

/// From the first min(size, 12) bytes of a file: the total length of preamble + header,
/// that is where the data start. Throws NpyFormatError when the magic, the version or
/// the header length is wrong, or when `size` is too short to tell.
std::size_t npy_data_offset(const char* bytes, std::size_t size);

/// Parses preamble + header (`size` >= npy_data_offset(bytes, size)). Throws
/// NpyFormatError saying what is wrong.
NpyHeader parse_npy_header(const char* bytes, std::size_t size);

/// A malformed .npy file; what() says what is wrong, without a file name (the caller
/// adds it).
struct NpyFormatError {
    std::string problem;
};

/// numpy's descr for T on this machine: "<f8" / "<f4" / "<i8" / "<i4" on little-endian
/// hardware, "|u1" / "|b1" for std::uint8_t and bool. (Instantiated for double, float,
/// std::int64_t, std::int32_t, std::uint8_t, bool, and std::uint16_t, the bits of
/// float16, whose descr is "<u2": decode_npy_data uses only its byte order.)
template <class T>
std::string npy_descr();

/// Whether `descr` holds T in either byte order ("<f8" or ">f8" for double; "|u1" too
/// for a one-byte T).
template <class T>
bool npy_descr_holds(const std::string& descr);

/// Turns the `header.count()` values read as they are in the file into this machine's
/// byte order and C (row-major) order, in place: swaps bytes when the descr's byte
/// order is not the machine's, transposes Fortran-ordered data.
template <class T>
void decode_npy_data(const NpyHeader& header, T* values);

/// A .npy file (version 1.0, C order, this machine's byte order) holding the array of
/// shape `shape` whose elements start at `data`, as numpy.save writes it: header padded with
/// spaces to a multiple of 64 bytes, newline last.
template <class T>
std::string encode_npy(const std::vector<std::size_t>& shape, const T* data);

}  // namespace tg::io::detail
