#include <tapegrad/nn/checkpoint.hpp>

#include <zip.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xnpy.hpp>

namespace tg::nn {
namespace {

constexpr const char* kEntrySuffix = ".npy";

std::string quoted(const std::string& s) { return "'" + s + "'"; }

[[noreturn]] void fail(const char* what, const std::string& path, const std::string& problem) {
    throw IoError(std::string(what) + ": " + quoted(path) + ": " + problem);
}

std::string zip_error_message(int code) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    return message;
}

/// numpy's name for a dtype descriptor, for messages: '<f8' -> "float64 ('<f8')".
std::string dtype_name(const std::string& descr) {
    static const std::map<std::string, std::string> names = {
        {"f8", "float64"}, {"f4", "float32"}, {"f2", "float16"}, {"i8", "int64"},
        {"i4", "int32"},   {"i2", "int16"},   {"i1", "int8"},    {"u8", "uint64"},
        {"u4", "uint32"},  {"u1", "uint8"},   {"b1", "bool"}};
    const auto it = descr.size() >= 3 ? names.find(descr.substr(1)) : names.end();
    std::string out = it == names.end() ? "" : it->second + " ";
    if (descr.size() >= 1 && descr[0] == '>') out += "big-endian ";
    return out + "(" + quoted(descr) + ")";
}

/// An .npy array read from memory: header fields and where the data starts.
struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::size_t> shape;  // what xtensor's header parser fills
    std::size_t data_offset = 0;
};

/// Checks the shape of a .npy header dictionary before xtensor's parser sees it: that
/// parser calls front()/back() on empty values and matches the dtype with std::regex,
/// which recurses once per character (a stack overflow for very long values). Returns
/// "" when the header looks like {'descr': '...', 'fortran_order': ..., 'shape': (...)}.
std::string check_header_dictionary(const std::string& header) {
    // numpy.load refuses headers over 10,000 bytes as well.
    constexpr std::size_t kMaxHeader = 10000;
    if (header.size() > kMaxHeader)
        return "header of " + std::to_string(header.size()) + " bytes; at most " +
               std::to_string(kMaxHeader) + " are accepted";
    const std::size_t open = header.find('{'), close = header.rfind('}');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return "no {...} dictionary";
    // Each key must be followed by ':' and the first character of a value of its kind.
    const auto check_key = [&](const std::string& name, const std::string& allowed,
                               const char* kind) -> std::string {
        const std::string key = "'" + name + "'";
        const std::size_t k = header.find(key);
        if (k == std::string::npos) return "missing " + key + " key";
        std::size_t i = k + key.size();
        while (i < close && header[i] == ' ') ++i;
        if (i < close && header[i] == ':') ++i;
        while (i < close && header[i] == ' ') ++i;
        if (i >= close || allowed.find(header[i]) == std::string::npos)
            return key + " is not followed by " + kind;
        return "";
    };
    // A dtype string is a few characters ('<f8'); xtensor's regex recurses per character.
    const std::size_t descr_key = header.find("'descr'");
    if (descr_key != std::string::npos) {
        const std::size_t quote = header.find_first_of("'\"", descr_key + 7);
        const std::size_t end =
            quote == std::string::npos ? quote : header.find(header[quote], quote + 1);
        constexpr std::size_t kMaxDescr = 32;
        if (end != std::string::npos && end - quote - 1 > kMaxDescr)
            return "'descr' of " + std::to_string(end - quote - 1) + " characters is not a dtype";
    }
    for (const std::string& problem :
         {check_key("descr", "'\"", "a string"), check_key("fortran_order", "TF", "True or False"),
          check_key("shape", "(", "a tuple")})
        if (!problem.empty()) return problem;
    return "";
}

/// Parses the .npy header of `bytes` (xtensor's parser for the dictionary); returns an
/// empty optional message on success, else what is wrong.
std::string parse_npy(const std::string& bytes, NpyHeader& out) {
    const std::size_t magic = xt::detail::magic_string_length;
    if (bytes.size() < magic + 4 || bytes.compare(0, magic, xt::detail::magic_string) != 0)
        return "is not a .npy array (no \\x93NUMPY magic at its start)";
    const auto byte = [&](std::size_t i) {
        return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i]));
    };
    const std::size_t major = byte(magic);
    std::size_t header_length = 0, header_start = 0;
    if (major == 1) {
        header_length = byte(magic + 2) | byte(magic + 3) << 8;
        header_start = magic + 4;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < magic + 6) return "is truncated inside its .npy header";
        header_length =
            byte(magic + 2) | byte(magic + 3) << 8 | byte(magic + 4) << 16 | byte(magic + 5) << 24;
        header_start = magic + 6;
    } else {
        return "has .npy format version " + std::to_string(major) +
               ", which is not supported (1, 2 or 3)";
    }
    if (bytes.size() < header_start + header_length) return "is truncated inside its .npy header";
    const std::string problem = check_header_dictionary(bytes.substr(header_start, header_length));
    if (!problem.empty()) return "has a malformed .npy header (" + problem + ")";
    try {
        xt::detail::parse_header(bytes.substr(header_start, header_length), out.descr,
                                 &out.fortran_order, out.shape);
    } catch (const std::exception& e) {
        return std::string("has a malformed .npy header (") + e.what() + ")";
    }
    out.data_offset = header_start + header_length;
    return "";
}

/// Reads every byte of entry `index`; "" on success, else what went wrong.
std::string read_entry(zip_t* archive, zip_uint64_t index, std::string& out) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE))
        return std::string("cannot be read (") + zip_strerror(archive) + ")";
    zip_file_t* file = zip_fopen_index(archive, index, 0);
    if (!file) return std::string("cannot be opened (") + zip_strerror(archive) + ")";
    out.assign(static_cast<std::size_t>(stat.size), '\0');
    zip_uint64_t done = 0;
    std::string problem;
    while (done < stat.size) {
        const zip_int64_t n = zip_fread(file, out.data() + done, stat.size - done);
        if (n < 0) {
            problem = std::string("is corrupted (") + zip_file_strerror(file) + ")";
            break;
        }
        if (n == 0) {
            problem = "is truncated (" + std::to_string(done) + " of " + std::to_string(stat.size) +
                      " bytes)";
            break;
        }
        done += static_cast<zip_uint64_t>(n);
    }
    // One more read at the end makes libzip compare the CRC of everything read.
    if (problem.empty()) {
        char extra;
        const zip_int64_t n = zip_fread(file, &extra, 1);
        if (n < 0)
            problem = std::string("is corrupted (") + zip_file_strerror(file) + ")";
        else if (n > 0)
            problem = "holds more bytes than its directory entry says";
    }
    zip_fclose(file);
    return problem;
}

/// A zip archive opened for reading, closed on scope exit.
struct ReadArchive {
    zip_t* archive = nullptr;
    ~ReadArchive() {
        if (archive) zip_discard(archive);
    }
};

/// An empty zip archive: only the end-of-central-directory record. (libzip removes the
/// file instead of writing an archive without entries; numpy.load reads this one.)
void write_empty_archive(const std::string& path) {
    static const char record[22] = {'P', 'K', 5, 6};
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(record, sizeof record);
    if (!out) fail("save", path, "cannot be written (check the directory exists and is writable)");
}

}  // namespace

template <class T>
void save(const Module<T>& module, const std::string& path) {
    const auto named = module.named_parameters();
    if (named.empty()) {
        write_empty_archive(path);
        return;
    }
    int code = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!archive)
        fail("save", path,
             "cannot be created (" + zip_error_message(code) +
                 "); check that the directory exists and is writable");
    // libzip reads the buffers at zip_close: they must live until then.
    std::vector<std::string> buffers;
    buffers.reserve(named.size());
    const auto abandon = [&](const std::string& problem) {
        const std::string message = problem + " (" + zip_strerror(archive) + ")";
        zip_discard(archive);  // leaves an existing file as it was
        fail("save", path, message);
    };
    for (const auto& [name, tensor] : named) {
        buffers.push_back(xt::dump_npy(tensor.value()));
        const std::string& bytes = buffers.back();
        zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
        if (!source) abandon("cannot buffer parameter " + quoted(name));
        const std::string entry = name + kEntrySuffix;
        const zip_int64_t index = zip_file_add(archive, entry.c_str(), source, ZIP_FL_ENC_UTF_8);
        if (index < 0) {
            zip_source_free(source);
            abandon("cannot add entry " + quoted(entry));
        }
        // Stored, not deflated: numpy.savez writes stored entries too.
        if (zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) !=
            0)
            abandon("cannot set the compression of entry " + quoted(entry));
    }
    if (zip_close(archive) != 0) abandon("cannot be written");
}

template <class T>
void load(Module<T>& module, const std::string& path) {
    const auto named = module.named_parameters();
    std::map<std::string, const Tensor<T>*> wanted;
    for (const auto& [name, tensor] : named) wanted[name] = &tensor;

    {
        std::error_code ignored;
        if (std::filesystem::is_directory(path, ignored))
            fail("load", path, "is a directory; pass the path of a .npz file");
        std::ifstream probe(path, std::ios::binary | std::ios::ate);
        if (!probe) fail("load", path, "cannot be opened (no such file, or not readable)");
        // libzip would open an empty file as an archive without entries.
        if (probe.tellg() == std::streampos(0))
            fail("load", path, "is empty (0 bytes): truncated or not a .npz archive");
    }
    ReadArchive reader;
    int code = 0;
    reader.archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!reader.archive) {
        const std::string why = zip_error_message(code);
        if (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS)
            fail("load", path,
                 "is truncated or not a .npz archive (" + why +
                     "); save it again with tg::nn::save or numpy.savez");
        if (code == ZIP_ER_EXISTS)  // libzip's check of the central directory
            fail("load", path,
                 "has two entries with the same name (" + why +
                     "); save it again with tg::nn::save or numpy.savez");
        fail("load", path, "cannot be opened as a .npz archive (" + why + ")");
    }
    zip_t* archive = reader.archive;

    // Read and check everything first; change nothing until all of it is right.
    std::vector<std::string> problems;
    std::map<std::string, Array<T>> values;
    std::set<std::string> seen;  // names with an entry in the file, good or not
    const std::string expected_descr = xt::detail::build_typestring<T>();
    const zip_int64_t entries = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < entries; ++i) {
        const char* raw_name =
            zip_get_name(archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
        if (!raw_name) {
            problems.push_back("entry #" + std::to_string(i) + " has no readable name");
            continue;
        }
        const std::string entry = raw_name;
        const std::size_t suffix = std::strlen(kEntrySuffix);
        const bool is_npy = entry.size() > suffix &&
                            entry.compare(entry.size() - suffix, suffix, kEntrySuffix) == 0;
        const std::string name = is_npy ? entry.substr(0, entry.size() - suffix) : entry;
        const auto target = wanted.find(name);
        if (!is_npy || target == wanted.end()) {
            problems.push_back("the file has an entry " + quoted(entry) +
                               " for which the model has no parameter");
            continue;
        }
        if (!seen.insert(name).second) {
            problems.push_back("the file has entry " + quoted(entry) + " twice");
            continue;
        }
        std::string bytes;
        std::string problem = read_entry(archive, static_cast<zip_uint64_t>(i), bytes);
        if (!problem.empty()) {
            problems.push_back("entry " + quoted(entry) + " " + problem);
            continue;
        }
        NpyHeader header;
        problem = parse_npy(bytes, header);
        if (!problem.empty()) {
            problems.push_back("entry " + quoted(entry) + " " + problem);
            continue;
        }
        const Shape shape = target->second->shape();
        if (header.descr != expected_descr) {
            problems.push_back("parameter " + quoted(name) + " has dtype " +
                               dtype_name(header.descr) + " in the file but the model stores " +
                               dtype_name(expected_descr));
            continue;
        }
        if (Shape(header.shape) != shape) {
            problems.push_back("parameter " + quoted(name) + " has shape " +
                               shape_str(header.shape) + " in the file but " + shape_str(shape) +
                               " in the model");
            continue;
        }
        const std::size_t count = target->second->size();
        const std::size_t data_bytes = bytes.size() - header.data_offset;
        if (data_bytes != count * sizeof(T)) {
            problems.push_back("entry " + quoted(entry) + " holds " + std::to_string(data_bytes) +
                               " data bytes where shape " + shape_str(shape) + " needs " +
                               std::to_string(count * sizeof(T)) + " (truncated or malformed)");
            continue;
        }
        Array<T> value(shape);
        const char* data = bytes.data() + header.data_offset;
        if (header.fortran_order && shape.size() > 1) {
            // Column-major data of shape (a, b, c) is row-major data of shape (c, b, a)
            // holding the array with its axes reversed.
            std::vector<T> column_major(count);
            std::memcpy(column_major.data(), data, data_bytes);
            const std::vector<std::size_t> reversed(shape.rbegin(), shape.rend());
            value =
                xt::transpose(xt::adapt(column_major.data(), count, xt::no_ownership(), reversed));
        } else if (count) {
            std::memcpy(value.data(), data, data_bytes);
        }
        values.emplace(name, std::move(value));
    }
    for (const auto& [name, tensor] : named)
        if (!seen.count(name))
            problems.push_back("parameter " + quoted(name) +
                               " is missing from the file (no entry " +
                               quoted(name + kEntrySuffix) + ")");
    if (!problems.empty()) {
        std::string message;
        for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
        fail("load", path,
             message +
                 ". Nothing was loaded; the file must hold exactly the model's parameters "
                 "(names, shapes and dtype as in module.named_parameters())");
    }

    for (auto& [name, tensor] : named) {
        Tensor<T> parameter = tensor;
        parameter.mutable_value() = std::move(values.at(name));
    }
}

#define TG_NN_CHECKPOINT_INSTANTIATE(T)                          \
    template void save<T>(const Module<T>&, const std::string&); \
    template void load<T>(Module<T>&, const std::string&);
TG_NN_CHECKPOINT_INSTANTIATE(float)
TG_NN_CHECKPOINT_INSTANTIATE(double)

}  // namespace tg::nn
