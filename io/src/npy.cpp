#include <tapegrad/io/detail/npy.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

namespace tg::io::detail {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLength = 6;
constexpr std::size_t kMaxAxes = 64;     // numpy 2's NPY_MAXDIMS
constexpr std::size_t kMaxString = 32;   // longer than any dtype string or key
constexpr std::size_t kArrayAlign = 64;  // numpy.lib.format.ARRAY_ALIGN

[[noreturn]] void bad(std::string problem) { throw NpyFormatError{std::move(problem)}; }

bool little_endian_machine() {
    const std::uint16_t one = 1;
    unsigned char first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

/// A byte for messages: 'x' when printable, else \xNN.
std::string shown(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    static const char digits[] = "0123456789abcdef";
    return std::string("byte \\x") + digits[u >> 4] + digits[u & 15];
}

/// The header dictionary, read token by token; each reading method throws NpyFormatError
/// naming what it expected, what it found and where.
class HeaderScanner {
public:
    HeaderScanner(const char* text, std::size_t size) : text_(text), size_(size) {}

    void skip_space() {
        while (i_ < size_ &&
               (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r'))
            ++i_;
    }
    /// After spaces, is the next character `c`? (Consumes only the spaces.)
    bool at(char c) {
        skip_space();
        return i_ < size_ && text_[i_] == c;
    }
    /// Only spaces (and newlines) may be left.
    void expect_end(const std::string& where) {
        skip_space();
        if (i_ != size_) bad("unexpected " + found() + " " + where);
    }
    void expect(char c, const std::string& where) {
        if (!at(c)) bad(std::string("expected '") + c + "' " + where + ", found " + found());
        ++i_;
    }
    /// 'text' or "text": printable characters, no backslash, at most kMaxString.
    std::string string(const std::string& what) {
        if (!at('\'') && !at('"')) bad("expected " + what + " (a quoted string), found " + found());
        const char quote = text_[i_++];
        const std::size_t start = i_;
        while (i_ < size_ && text_[i_] != quote) {
            const auto u = static_cast<unsigned char>(text_[i_]);
            if (u < 0x20 || u >= 0x7f || text_[i_] == '\\')
                bad(what + " holds " + shown(text_[i_]) + " at byte " + std::to_string(i_) +
                    " (only plain printable characters are accepted)");
            if (i_ - start == kMaxString)
                bad(what + " is longer than " + std::to_string(kMaxString) + " characters");
            ++i_;
        }
        if (i_ == size_) bad(what + " has no closing quote");
        return std::string(text_ + start, text_ + i_++);
    }
    /// True or False.
    bool boolean(const std::string& what) {
        skip_space();
        const std::size_t start = i_;
        while (i_ < size_ && std::isalpha(static_cast<unsigned char>(text_[i_])) && i_ - start < 6)
            ++i_;
        const std::string word(text_ + start, text_ + i_);
        if (word == "True") return true;
        if (word == "False") return false;
        i_ = start;
        bad("expected True or False for " + what + ", found " + found());
    }
    /// (), (n,), (n, m), (n, m,), ...: sizes as decimal integers.
    std::vector<std::size_t> tuple(const std::string& what) {
        expect('(', "to open " + what);
        std::vector<std::size_t> sizes;
        bool trailing_comma = false;
        while (!at(')')) {
            if (sizes.size() == kMaxAxes)
                bad(what + " has more than " + std::to_string(kMaxAxes) + " axes");
            sizes.push_back(integer(what));
            trailing_comma = at(',');
            if (!trailing_comma) break;
            ++i_;
        }
        expect(')', "to close " + what);
        if (sizes.size() == 1 && !trailing_comma)
            bad(what + " is (" + std::to_string(sizes[0]) +
                "), an int in Python, not a tuple: a one-axis shape is written (" +
                std::to_string(sizes[0]) + ",)");
        return sizes;
    }

private:
    /// 0 or [1-9][0-9]*, with an optional L (Python 2's numpy wrote 3L).
    std::size_t integer(const std::string& what) {
        skip_space();
        if (i_ == size_ || !std::isdigit(static_cast<unsigned char>(text_[i_])))
            bad("expected a size in " + what + ", found " + found());
        if (text_[i_] == '0' && i_ + 1 < size_ &&
            std::isdigit(static_cast<unsigned char>(text_[i_ + 1])))
            bad("a size in " + what + " has a leading zero at byte " + std::to_string(i_));
        std::size_t value = 0;
        while (i_ < size_ && std::isdigit(static_cast<unsigned char>(text_[i_]))) {
            const std::size_t digit = static_cast<std::size_t>(text_[i_] - '0');
            if (value > (std::numeric_limits<std::size_t>::max() - digit) / 10)
                bad("a size in " + what + " does not fit in 64 bits");
            value = value * 10 + digit;
            ++i_;
        }
        if (i_ < size_ && text_[i_] == 'L') ++i_;
        return value;
    }
    std::string found() const {
        if (i_ >= size_) return "the end of the header";
        return shown(text_[i_]) + " at byte " + std::to_string(i_);
    }

    const char* text_;
    std::size_t size_;
    std::size_t i_ = 0;
};

/// The dictionary {'descr': ..., 'fortran_order': ..., 'shape': ...} in any key order.
NpyHeader parse_dictionary(const char* text, std::size_t size) {
    HeaderScanner in(text, size);
    NpyHeader header;
    bool have_descr = false, have_order = false, have_shape = false;
    const auto first_time = [](bool& seen, const std::string& key) {
        if (seen) bad("the key '" + key + "' appears twice");
        seen = true;
    };
    in.expect('{', "at the start of the header");
    while (!in.at('}')) {
        const std::string key = in.string("a key");
        in.expect(':', "after the key '" + key + "'");
        if (key == "descr") {
            first_time(have_descr, key);
            if (in.at('['))
                bad("'descr' is a list: structured dtypes are not supported (save plain "
                    "float32 or float64 arrays)");
            header.descr = in.string("the 'descr' value");
            if (header.descr.size() < 2) bad("'descr' is '" + header.descr + "', not a dtype");
        } else if (key == "fortran_order") {
            first_time(have_order, key);
            header.fortran_order = in.boolean("'fortran_order'");
        } else if (key == "shape") {
            first_time(have_shape, key);
            header.shape = in.tuple("'shape'");
        } else {
            bad("unexpected key '" + key +
                "' (a .npy header holds exactly 'descr', 'fortran_order' and 'shape')");
        }
        if (!in.at(',')) break;
        in.expect(',', "between items");
    }
    in.expect('}', "at the end of the dictionary");
    in.expect_end("after the dictionary's '}' (only spaces and a newline may follow)");
    for (const auto& [seen, key] :
         {std::pair{have_descr, "descr"}, std::pair{have_order, "fortran_order"},
          std::pair{have_shape, "shape"}})
        if (!seen) bad(std::string("the key '") + key + "' is missing");
    // Elements and their bytes must be countable (the reader multiplies by up to 8 bytes).
    std::size_t count = 1;
    const bool empty = std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end();
    if (!empty)
        for (std::size_t n : header.shape) {
            if (count > std::numeric_limits<std::size_t>::max() / 16 / n)
                bad("'shape' has more elements than any memory holds");
            count *= n;
        }
    return header;
}

/// The byte-swapped value of `value`.
template <class T>
T byte_swapped(T value) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    std::reverse(bytes, bytes + sizeof(T));
    std::memcpy(&value, bytes, sizeof(T));
    return value;
}

/// Column-major values of `shape` rewritten in row-major order, in place.
template <class T>
void fortran_to_c_order(const std::vector<std::size_t>& shape, T* values, std::size_t count) {
    const std::vector<T> source(values, values + count);
    // Source offset of index (i0, ..., ik): i0 + s0 (i1 + s1 (i2 + ...)).
    const std::size_t rank = shape.size();
    std::vector<std::size_t> stride(rank, 1), index(rank, 0);
    for (std::size_t k = 1; k < rank; ++k) stride[k] = stride[k - 1] * shape[k - 1];
    std::size_t offset = 0;
    for (std::size_t out = 0; out < count; ++out) {
        values[out] = source[offset];
        // Next row-major index: the last axis fastest, carrying into earlier ones.
        for (std::size_t k = rank; k-- > 0;) {
            offset += stride[k];
            if (++index[k] < shape[k]) break;
            offset -= stride[k] * shape[k];
            index[k] = 0;
        }
    }
}

}  // namespace

std::size_t NpyHeader::count() const {
    std::size_t n = 1;
    for (std::size_t s : shape) n *= s;
    return n;
}

std::size_t npy_data_offset(const char* bytes, std::size_t size) {
    if (std::memcmp(bytes, kMagic, std::min(size, kMagicLength)) != 0 || size == 0)
        bad("is not a .npy array (no \\x93NUMPY magic at its start)");
    if (size < kMagicLength + 4) bad("is truncated inside its .npy header");
    const auto byte = [&](std::size_t i) {
        return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i]));
    };
    const std::size_t major = byte(kMagicLength), minor = byte(kMagicLength + 1);
    std::size_t length = 0, preamble = 0;
    if (major == 1 && minor == 0) {
        preamble = kMagicLength + 4;
        length = byte(8) | byte(9) << 8;
    } else if ((major == 2 || major == 3) && minor == 0) {
        preamble = kMagicLength + 6;
        if (size < preamble) bad("is truncated inside its .npy header");
        length = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    } else {
        bad("has .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
            ", which is not supported (1.0, 2.0 or 3.0)");
    }
    if (length == 0) bad("has a malformed .npy header (its length is 0)");
    if (length > kMaxNpyHeader)
        bad("has a .npy header of " + std::to_string(length) + " bytes; at most " +
            std::to_string(kMaxNpyHeader) + " are accepted (numpy.load's limit)");
    return preamble + length;
}

NpyHeader parse_npy_header(const char* bytes, std::size_t size) {
    const std::size_t offset = npy_data_offset(bytes, size);
    if (size < offset) bad("is truncated inside its .npy header");
    const std::size_t preamble = bytes[kMagicLength] == 1 ? kMagicLength + 4 : kMagicLength + 6;
    NpyHeader header;
    try {
        header = parse_dictionary(bytes + preamble, offset - preamble);
    } catch (const NpyFormatError& e) {
        bad("has a malformed .npy header (" + e.problem + ")");
    }
    header.data_offset = offset;
    return header;
}

template <class T>
std::string npy_descr() {
    static_assert(std::is_arithmetic_v<T> && sizeof(T) <= 8);
    // numpy writes '|' (no byte order) for one-byte types: '|u1', '|b1'.
    const char order = sizeof(T) == 1 ? '|' : little_endian_machine() ? '<' : '>';
    const char kind = std::is_same_v<T, bool>       ? 'b'
                      : std::is_floating_point_v<T> ? 'f'
                      : std::is_signed_v<T>         ? 'i'
                                                    : 'u';
    return std::string{order, kind, static_cast<char>('0' + sizeof(T))};
}

template <class T>
bool npy_descr_holds(const std::string& descr) {
    const std::string native = npy_descr<T>();
    return descr.size() == 3 &&
           (descr[0] == '<' || descr[0] == '>' || (sizeof(T) == 1 && descr[0] == '|')) &&
           descr.compare(1, 2, native, 1, 2) == 0;
}

template <class T>
void decode_npy_data(const NpyHeader& header, T* values) {
    const std::size_t count = header.count();
    if (header.descr[0] != npy_descr<T>()[0])
        for (std::size_t i = 0; i < count; ++i) values[i] = byte_swapped(values[i]);
    if (header.fortran_order && header.shape.size() > 1)
        fortran_to_c_order(header.shape, values, count);
}

template <class T>
std::string encode_npy(const std::vector<std::size_t>& shape, const T* data) {
    std::string dict = "{'descr': '" + npy_descr<T>() + "', 'fortran_order': False, 'shape': (";
    std::size_t count = 1;
    for (std::size_t k = 0; k < shape.size(); ++k) {
        dict += (k ? ", " : "") + std::to_string(shape[k]);
        count *= shape[k];
    }
    dict += shape.size() == 1 ? ",), }" : "), }";
    // Spaces, then a newline, so that the data start on a multiple of 64 bytes.
    const std::size_t unpadded = kMagicLength + 4 + dict.size() + 1;
    dict.append((kArrayAlign - unpadded % kArrayAlign) % kArrayAlign, ' ');
    dict += '\n';
    std::string out(kMagic, kMagicLength);
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(dict.size() & 0xFF);
    out += static_cast<char>(dict.size() >> 8);
    out += dict;
    out.append(reinterpret_cast<const char*>(data), count * sizeof(T));
    return out;
}

#define TG_NN_NPY_INSTANTIATE(T)                            \
    template std::string npy_descr<T>();                    \
    template bool npy_descr_holds<T>(const std::string&);   \
    template void decode_npy_data<T>(const NpyHeader&, T*); \
    template std::string encode_npy<T>(const std::vector<std::size_t>&, const T*);
TG_NN_NPY_INSTANTIATE(float)
TG_NN_NPY_INSTANTIATE(double)
TG_NN_NPY_INSTANTIATE(std::int64_t)
TG_NN_NPY_INSTANTIATE(std::int32_t)
TG_NN_NPY_INSTANTIATE(std::uint16_t)  // float16's bits
TG_NN_NPY_INSTANTIATE(std::uint8_t)
TG_NN_NPY_INSTANTIATE(bool)

}  // namespace tg::io::detail
