#include <tapegrad/io/detail/safetensors_header.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

namespace tg::io::detail {
namespace {

[[noreturn]] void bad(std::string problem) { throw SafetensorsFormatError{std::move(problem)}; }

/// 's' in double quotes, as JSON writes it (for messages; the name may hold anything).
std::string named(const std::string& s) {
    std::string out = "'";
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            static const char digits[] = "0123456789abcdef";
            out += std::string("\\x") + digits[c >> 4] + digits[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "'";
}

const std::pair<const char*, DType> kDtypes[] = {{"F64", DType::float64}, {"F32", DType::float32},
                                                 {"F16", DType::float16}, {"BF16", DType::bfloat16},
                                                 {"I64", DType::int64},   {"I32", DType::int32},
                                                 {"U8", DType::uint8},    {"BOOL", DType::boolean}};

/// Length of the UTF-8 sequence starting at text[i], or 0 when it is not valid UTF-8
/// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_length(const unsigned char* text, std::size_t size, std::size_t i) {
    const unsigned char c = text[i];
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) low = 0xA0;   // overlong
        if (c == 0xED) high = 0x9F;  // surrogates U+D800..U+DFFF
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) low = 0x90;   // overlong
        if (c == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (size - i < n) return 0;
    if (text[i + 1] < low || text[i + 1] > high) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (text[i + k] < 0x80 || text[i + k] > 0xBF) return 0;
    return n;
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | code >> 6);
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | code >> 12);
        out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | code >> 18);
        out += static_cast<char>(0x80 | (code >> 12 & 0x3F));
        out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

/// The JSON text, read token by token; each method throws SafetensorsFormatError naming
/// what it expected, what it found and at which byte of the header.
class JsonScanner {
public:
    JsonScanner(const char* text, std::size_t size)
        : text_(reinterpret_cast<const unsigned char*>(text)), size_(size) {}

    void skip_space() {
        while (i_ < size_ &&
               (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r'))
            ++i_;
    }
    /// After spaces, is the next character `c`? (Consumes only the spaces.)
    bool at(char c) {
        skip_space();
        return i_ < size_ && text_[i_] == static_cast<unsigned char>(c);
    }
    void expect(char c, const std::string& where) {
        if (!at(c)) bad(std::string("expected '") + c + "' " + where + ", found " + found());
        ++i_;
    }
    /// Only spaces may be left.
    void expect_end() {
        skip_space();
        if (i_ != size_)
            bad("unexpected " + found() +
                " after the header's closing '}' (only spaces may follow)");
    }
    /// A JSON string, decoded to UTF-8.
    std::string string(const std::string& what) {
        if (!at('"')) bad("expected " + what + " (a string in double quotes), found " + found());
        const std::size_t start = i_++;
        std::string out;
        while (true) {
            if (i_ == size_) {
                i_ = start;
                bad(what + " starting at " + found() + " has no closing quote");
            }
            const unsigned char c = text_[i_];
            if (c == '"') break;
            if (c < 0x20) bad(what + " holds the control character " + found() + " (escape it)");
            if (c == '\\') {
                escape(out, what);
                continue;
            }
            const std::size_t n = utf8_length(text_, size_, i_);
            if (n == 0) bad(what + " holds " + found() + ", which is not valid UTF-8");
            out.append(reinterpret_cast<const char*>(text_ + i_), n);
            i_ += n;
        }
        ++i_;
        return out;
    }
    /// A whole number that fits 64 bits: 0 or [1-9][0-9]*.
    std::uint64_t whole_number(const std::string& what) {
        skip_space();
        if (i_ == size_ || text_[i_] < '0' || text_[i_] > '9')
            bad("expected a whole number >= 0 in " + what + ", found " + found());
        if (text_[i_] == '0' && i_ + 1 < size_ && text_[i_ + 1] >= '0' && text_[i_ + 1] <= '9')
            bad("a number in " + what + " has a leading zero at byte " + std::to_string(i_));
        std::uint64_t value = 0;
        while (i_ < size_ && text_[i_] >= '0' && text_[i_] <= '9') {
            const unsigned digit = text_[i_] - '0';
            if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
                bad("a number in " + what + " does not fit in 64 bits");
            value = value * 10 + digit;
            ++i_;
        }
        if (i_ < size_ && (text_[i_] == '.' || text_[i_] == 'e' || text_[i_] == 'E'))
            bad("a number in " + what + " is not a whole number (" + found() + ")");
        return value;
    }
    /// '[' n (',' n)* ']' or '[' ']'.
    std::vector<std::uint64_t> numbers(const std::string& what) {
        expect('[', "to open " + what);
        std::vector<std::uint64_t> out;
        if (at(']')) {
            ++i_;
            return out;
        }
        while (true) {
            out.push_back(whole_number(what));
            if (at(']')) break;
            expect(',', "or ']' in " + what);
        }
        ++i_;
        return out;
    }
    /// The next character, for messages: 'x' at byte 17, byte \xNN at byte 17, or the end.
    std::string found() const {
        if (i_ >= size_) return "the end of the header";
        const unsigned char c = text_[i_];
        std::string shown;
        if (c >= 0x20 && c < 0x7f) {
            shown = std::string("'") + static_cast<char>(c) + "'";
        } else {
            static const char digits[] = "0123456789abcdef";
            shown = std::string("byte \\x") + digits[c >> 4] + digits[c & 15];
        }
        return shown + " at byte " + std::to_string(i_) + " of the header";
    }

private:
    /// The escape at text_[i_] ('\\' ...), decoded into `out`.
    void escape(std::string& out, const std::string& what) {
        if (i_ + 1 == size_) {
            ++i_;
            bad(what + " ends inside an escape");
        }
        const unsigned char c = text_[++i_];
        const char* simple = "\"\\/bfnrt";
        const char* meaning = "\"\\/\b\f\n\r\t";
        for (std::size_t k = 0; simple[k]; ++k)
            if (c == static_cast<unsigned char>(simple[k])) {
                out += meaning[k];
                ++i_;
                return;
            }
        if (c != 'u') bad(what + " holds an unknown escape \\" + found());
        ++i_;
        std::uint32_t code = hex4(what);
        if (code >= 0xDC00 && code <= 0xDFFF)
            bad(what + " holds a low surrogate \\u" + hex(code) + " without a high one before it");
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (size_ - i_ < 2 || text_[i_] != '\\' || text_[i_ + 1] != 'u')
                bad(what + " holds a high surrogate \\u" + hex(code) +
                    " not followed by a low one");
            i_ += 2;
            const std::uint32_t low = hex4(what);
            if (low < 0xDC00 || low > 0xDFFF)
                bad(what + " holds a high surrogate \\u" + hex(code) + " followed by \\u" +
                    hex(low) + ", not a low surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, code);
    }
    std::uint32_t hex4(const std::string& what) {
        std::uint32_t code = 0;
        for (int k = 0; k < 4; ++k, ++i_) {
            if (i_ == size_) bad(what + " ends inside a \\u escape");
            const unsigned char c = text_[i_];
            const int digit = c >= '0' && c <= '9'   ? c - '0'
                              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
            if (digit < 0) bad(what + " has a \\u escape with " + found() + ", not a hex digit");
            code = code << 4 | static_cast<std::uint32_t>(digit);
        }
        return code;
    }
    static std::string hex(std::uint32_t code) {
        static const char digits[] = "0123456789ABCDEF";
        std::string out;
        for (int shift = 12; shift >= 0; shift -= 4) out += digits[code >> shift & 15];
        return out;
    }

    const unsigned char* text_;
    std::size_t size_;
    std::size_t i_ = 0;
};

/// {"k": "v", ...}: every value a string, no key twice.
std::map<std::string, std::string> parse_metadata(JsonScanner& in) {
    std::map<std::string, std::string> metadata;
    in.expect('{', "to open \"__metadata__\" (an object of strings)");
    if (in.at('}')) {
        in.expect('}', "");
        return metadata;
    }
    while (true) {
        std::string key = in.string("a key of \"__metadata__\"");
        in.expect(':', "after the metadata key " + named(key));
        if (!in.at('"'))
            bad("the metadata value of " + named(key) + " is not a string (found " + in.found() +
                "); \"__metadata__\" maps strings to strings");
        std::string value = in.string("the metadata value of " + named(key));
        if (!metadata.emplace(key, std::move(value)).second)
            bad("the metadata key " + named(key) + " appears twice");
        if (in.at('}')) break;
        in.expect(',', "or '}' in \"__metadata__\"");
    }
    in.expect('}', "");
    return metadata;
}

/// {"dtype": ..., "shape": [...], "data_offsets": [a, b]} in any order.
SafetensorsEntry parse_tensor(JsonScanner& in, std::string name) {
    SafetensorsEntry entry;
    entry.name = std::move(name);
    const std::string subject = "tensor " + named(entry.name);
    bool have_dtype = false, have_shape = false, have_offsets = false;
    in.expect('{',
              "to open " + subject + " (an object with \"dtype\", \"shape\" and \"data_offsets\")");
    while (true) {
        const std::string key = in.string("a key of " + subject);
        in.expect(':', "after the key " + named(key) + " of " + subject);
        const auto first_time = [&](bool& seen) {
            if (seen) bad(subject + " has the key " + named(key) + " twice");
            seen = true;
        };
        if (key == "dtype") {
            first_time(have_dtype);
            const std::string dtype = in.string("the dtype of " + subject);
            const auto* known = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                             [&](const auto& d) { return dtype == d.first; });
            if (known == std::end(kDtypes))
                bad(subject + " has dtype " + named(dtype) +
                    ", which tapegrad does not read (it reads F64, F32, F16, BF16, I64, I32, U8 "
                    "and BOOL)");
            entry.dtype = known->second;
        } else if (key == "shape") {
            first_time(have_shape);
            for (std::uint64_t n : in.numbers("the shape of " + subject))
                entry.shape.push_back(static_cast<std::size_t>(n));
        } else if (key == "data_offsets") {
            first_time(have_offsets);
            const auto offsets = in.numbers("the data_offsets of " + subject);
            if (offsets.size() != 2)
                bad("the data_offsets of " + subject + " hold " + std::to_string(offsets.size()) +
                    " numbers, not 2 ([begin, end])");
            entry.begin = offsets[0];
            entry.end = offsets[1];
            if (entry.end < entry.begin)
                bad("the data_offsets of " + subject + " are [" + std::to_string(entry.begin) +
                    ", " + std::to_string(entry.end) + "]: the end comes before the begin");
        } else {
            bad(subject + " has the key " + named(key) +
                " (a tensor holds exactly \"dtype\", \"shape\" and \"data_offsets\")");
        }
        if (in.at('}')) break;
        in.expect(',', "or '}' in " + subject);
    }
    in.expect('}', "");
    for (const auto& [seen, key] : {std::pair{have_dtype, "dtype"}, std::pair{have_shape, "shape"},
                                    std::pair{have_offsets, "data_offsets"}})
        if (!seen) bad(subject + " has no \"" + key + "\"");
    return entry;
}

/// "[a, b)" of an entry's bytes, for messages.
std::string span(const SafetensorsEntry& e) {
    return "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ")";
}

/// Checks that an entry's elements take end − begin bytes (counted without overflow).
void check_size(const SafetensorsEntry& e) {
    std::string shape = "[";
    for (std::size_t k = 0; k < e.shape.size(); ++k)
        shape += (k ? ", " : "") + std::to_string(e.shape[k]);
    shape += "]";
    std::uint64_t bytes = 0;
    if (std::find(e.shape.begin(), e.shape.end(), 0) == e.shape.end()) {
        bytes = dtype_size(e.dtype);
        for (std::size_t n : e.shape) {
            if (bytes > std::numeric_limits<std::uint64_t>::max() / n)
                bad("tensor " + named(e.name) + " has shape " + shape +
                    ", more bytes than 64 bits count");
            bytes *= n;
        }
    }
    if (bytes != e.end - e.begin)
        bad("tensor " + named(e.name) + " has shape " + shape + " of " +
            safetensors_dtype_name(e.dtype) + " (" + std::to_string(bytes) +
            " bytes) but its data_offsets " + span(e) + " hold " + std::to_string(e.end - e.begin));
}

}  // namespace

std::string safetensors_dtype_name(DType dtype) {
    for (const auto& [name, d] : kDtypes)
        if (d == dtype) return name;
    return "?";
}

bool valid_utf8(const std::string& text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_length(bytes, text.size(), i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

SafetensorsHeader parse_safetensors_header(const char* text, std::size_t size,
                                           std::uint64_t data_size) {
    if (size == 0 || text[0] != '{')
        bad(size == 0 ? std::string("the header is empty")
                      : "the header does not start with '{' (a JSON object); it starts with " +
                            JsonScanner(text, size).found());
    JsonScanner in(text, size);
    SafetensorsHeader header;
    bool have_metadata = false;
    std::set<std::string> names;
    in.expect('{', "");
    if (!in.at('}')) {
        while (true) {
            std::string key = in.string("a tensor name");
            in.expect(':', "after the name " + named(key));
            if (key == "__metadata__") {
                if (have_metadata) bad("\"__metadata__\" appears twice");
                have_metadata = true;
                header.metadata = parse_metadata(in);
            } else {
                if (!names.insert(key).second) bad("the tensor " + named(key) + " appears twice");
                header.tensors.push_back(parse_tensor(in, std::move(key)));
            }
            if (in.at('}')) break;
            in.expect(',', "or '}' between the header's members");
        }
    }
    in.expect('}', "");
    in.expect_end();

    for (const SafetensorsEntry& e : header.tensors) check_size(e);
    // In the order of the data; empty tensors before the one that starts where they are.
    std::stable_sort(header.tensors.begin(), header.tensors.end(),
                     [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
                         return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                     });
    std::uint64_t covered = 0;
    const SafetensorsEntry* previous = nullptr;
    for (const SafetensorsEntry& e : header.tensors) {
        if (e.end > data_size)
            bad("tensor " + named(e.name) + " has data_offsets " + span(e) +
                " past the end of the data section (" + std::to_string(data_size) +
                " bytes after the header)");
        if (e.begin < covered)
            bad("tensors " + named(previous->name) + " " + span(*previous) + " and " +
                named(e.name) + " " + span(e) + " overlap");
        if (e.begin > covered)
            bad("bytes [" + std::to_string(covered) + ", " + std::to_string(e.begin) +
                ") of the data section belong to no tensor (a hole " +
                (previous ? "between " + named(previous->name) + " and " + named(e.name)
                          : "before " + named(e.name)) +
                ")");
        covered = e.end;
        previous = &e;
    }
    if (covered != data_size)
        bad("the tensors' data end at byte " + std::to_string(covered) +
            " of the data section, but it holds " + std::to_string(data_size) +
            " (truncated header, or bytes that belong to no tensor)");
    return header;
}

std::string encode_safetensors_header(const SafetensorsHeader& header) {
    const auto string = [](const std::string& s) {
        std::string out = "\"";
        for (unsigned char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20) {
                static const char digits[] = "0123456789abcdef";
                out += std::string("\\u00") + digits[c >> 4] + digits[c & 15];
            } else {
                out += static_cast<char>(c);
            }
        }
        return out + "\"";
    };
    std::string json = "{";
    if (!header.metadata.empty()) {
        json += "\"__metadata__\":{";
        bool first = true;
        for (const auto& [key, value] : header.metadata) {
            json += (first ? "" : ",") + string(key) + ":" + string(value);
            first = false;
        }
        json += "}";
    }
    for (const SafetensorsEntry& e : header.tensors) {
        if (json.size() > 1) json += ",";
        json +=
            string(e.name) + ":{\"dtype\":\"" + safetensors_dtype_name(e.dtype) + "\",\"shape\":[";
        for (std::size_t k = 0; k < e.shape.size(); ++k)
            json += (k ? "," : "") + std::to_string(e.shape[k]);
        json +=
            "],\"data_offsets\":[" + std::to_string(e.begin) + "," + std::to_string(e.end) + "]}";
    }
    json += "}";
    json.append((8 - json.size() % 8) % 8, ' ');
    return json;
}

}  // namespace tg::io::detail
