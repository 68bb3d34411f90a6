#include <tapegrad/nn/checkpoint.hpp>

#include <zip.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "npy.hpp"

namespace tg::nn {
namespace {

using detail::decode_npy_data;
using detail::encode_npy;
using detail::kNpyPreambleMax;
using detail::kNpyPreambleMin;
using detail::npy_data_offset;
using detail::npy_descr;
using detail::npy_descr_holds;
using detail::NpyFormatError;
using detail::NpyHeader;
using detail::parse_npy_header;

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

/// An entry holding another dtype or shape than the model's parameter; a whole sentence.
struct ModelMismatch {
    std::string problem;
};

/// One entry of an archive opened for reading, closed on scope exit.
class EntryStream {
public:
    EntryStream(zip_t* archive, zip_uint64_t index) : file_(zip_fopen_index(archive, index, 0)) {
        if (!file_)
            throw NpyFormatError{std::string("cannot be opened (") + zip_strerror(archive) + ")"};
    }
    ~EntryStream() { zip_fclose(file_); }
    EntryStream(const EntryStream&) = delete;
    EntryStream& operator=(const EntryStream&) = delete;

    /// Reads up to `n` bytes into `out`; fewer only at the end of the entry. A read error
    /// (a bad CRC, corrupt deflate data) throws.
    std::size_t read(char* out, std::size_t n) {
        std::size_t done = 0;
        while (done < n) {
            const zip_int64_t got = zip_fread(file_, out + done, n - done);
            if (got < 0)
                throw NpyFormatError{std::string("is corrupted (") + zip_file_strerror(file_) +
                                     ")"};
            if (got == 0) break;
            done += static_cast<std::size_t>(got);
        }
        return done;
    }

private:
    zip_file_t* file_;
};

/// Reads entry `index` of `archive` into a value of `shape`, checking the .npy header
/// against the model before a byte of data is read or inflated: at most the header and
/// the model's bytes are read, whatever the entry says its size is. Throws
/// NpyFormatError saying what is wrong with the entry ("is truncated ..."), or
/// ModelMismatch when it holds another dtype or shape than the model's tensor `label`
/// ("parameter '0.weight'").
template <class T>
Array<T> read_parameter(zip_t* archive, zip_uint64_t index, const std::string& label,
                        const Shape& shape) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE))
        throw NpyFormatError{std::string("cannot be read (") + zip_strerror(archive) + ")"};
    EntryStream in(archive, index);

    // The preamble (10 bytes, 12 from version 2.0 on), then the rest of the header. A
    // header is at least 1 byte long, so no data byte is read here.
    std::string header_bytes(kNpyPreambleMax, '\0');
    std::size_t have = in.read(header_bytes.data(), kNpyPreambleMin);
    if (have == kNpyPreambleMin && header_bytes[6] != 1)
        have += in.read(header_bytes.data() + have, kNpyPreambleMax - kNpyPreambleMin);
    const std::size_t offset = npy_data_offset(header_bytes.data(), have);
    header_bytes.resize(offset);
    if (in.read(header_bytes.data() + have, offset - have) < offset - have)
        throw NpyFormatError{"is truncated inside its .npy header"};
    const NpyHeader header = parse_npy_header(header_bytes.data(), header_bytes.size());

    if (!npy_descr_holds<T>(header.descr))
        throw ModelMismatch{label + " has dtype " + dtype_name(header.descr) +
                            " in the file but the model stores " + dtype_name(npy_descr<T>())};
    if (Shape(header.shape) != shape)
        throw ModelMismatch{label + " has shape " + shape_str(header.shape) + " in the file but " +
                            shape_str(shape) + " in the model"};
    const std::size_t need = header.count() * sizeof(T);
    const zip_uint64_t declared = stat.size;
    if (declared != offset + need)
        throw NpyFormatError{"holds " +
                             (declared < offset ? "no" : std::to_string(declared - offset)) +
                             " data bytes where shape " + shape_str(shape) + " needs " +
                             std::to_string(need) + " (truncated or malformed)"};

    Array<T> value(shape);
    char* data = reinterpret_cast<char*>(value.data());
    const std::size_t got = need ? in.read(data, need) : 0;
    if (got < need)
        throw NpyFormatError{"is truncated (" + std::to_string(offset + got) + " of " +
                             std::to_string(declared) + " bytes)"};
    // One more read at the end makes libzip compare the CRC of everything read.
    char extra;
    if (in.read(&extra, 1) > 0)
        throw NpyFormatError{"holds more bytes than its directory entry says"};
    decode_npy_data(header, value.data());
    return value;
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

/// What a checkpoint holds: every parameter, then every buffer, by dotted name.
template <class T>
std::vector<std::pair<std::string, Tensor<T>>> saved_tensors(const Module<T>& module) {
    auto out = module.named_parameters();
    for (auto& named : module.named_buffers()) out.push_back(std::move(named));
    return out;
}

}  // namespace

template <class T>
void save(const Module<T>& module, const std::string& path) {
    const auto named = saved_tensors(module);
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
        const Shape shape = tensor.shape();
        buffers.push_back(encode_npy<T>(shape, tensor.value().data()));
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
    const auto named = saved_tensors(module);
    std::map<std::string, const Tensor<T>*> wanted;
    for (const auto& [name, tensor] : named) wanted[name] = &tensor;
    std::set<std::string> buffers;
    for (const auto& [name, tensor] : module.named_buffers()) buffers.insert(name);
    const auto label = [&](const std::string& name) {
        return (buffers.count(name) ? "buffer " : "parameter ") + quoted(name);
    };

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
        try {
            values.emplace(name, read_parameter<T>(archive, static_cast<zip_uint64_t>(i),
                                                   label(name), target->second->shape()));
        } catch (const NpyFormatError& e) {
            problems.push_back("entry " + quoted(entry) + " " + e.problem);
        } catch (const ModelMismatch& e) {
            problems.push_back(e.problem);
        }
    }
    for (const auto& [name, tensor] : named)
        if (!seen.count(name))
            problems.push_back(label(name) + " is missing from the file (no entry " +
                               quoted(name + kEntrySuffix) + ")");
    if (!problems.empty()) {
        std::string message;
        for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
        fail("load", path,
             message +
                 ". Nothing was loaded; the file must hold exactly the model's parameters and "
                 "buffers (names, shapes and dtype as in module.named_parameters() and "
                 "named_buffers())");
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
