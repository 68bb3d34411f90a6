#include <tapegrad/io/detail/npz.hpp>

#include <tapegrad/error.hpp>
#include <tapegrad/io/detail/atomic_file.hpp>

#include <zip.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <tapegrad/io/detail/npy.hpp>

namespace tg::io::detail {
namespace {

std::string zip_error_message(int code) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    return message;
}

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

/// An empty zip archive: only the end-of-central-directory record. (libzip writes no
/// archive without entries; numpy.load reads this one.)
const std::string kEmptyArchive = std::string("PK\x05\x06", 4) + std::string(18, '\0');

}  // namespace

std::string quoted(const std::string& s) { return "'" + s + "'"; }

void fail(const char* what, const std::string& path, const std::string& problem) {
    throw IoError(std::string(what) + ": " + quoted(path) + ": " + problem);
}

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

std::string npz_bytes(const char* what, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& entries) {
    if (entries.empty()) return kEmptyArchive;
    // The archive is built in memory, so that no file but AtomicFile's "PATH.tmp" is ever
    // written: libzip writing to a file would go through a temporary file of its own,
    // with a random name that a killed writer leaves behind.
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
    if (!buffer) {
        const std::string why = zip_error_strerror(&error);
        zip_error_fini(&error);
        fail(what, path, "cannot be built in memory (" + why + ")");
    }
    zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
    if (!archive) {
        const std::string why = zip_error_strerror(&error);
        zip_error_fini(&error);
        zip_source_free(buffer);
        fail(what, path, "cannot be built in memory (" + why + ")");
    }
    zip_error_fini(&error);
    zip_source_keep(buffer);  // read after zip_close
    const auto abandon = [&](const std::string& problem) {
        const std::string message = problem + " (" + zip_strerror(archive) + ")";
        zip_discard(archive);
        zip_source_free(buffer);
        fail(what, path, message);
    };
    // libzip reads the entries' bytes at zip_close: `entries` lives until then.
    for (const auto& [name, bytes] : entries) {
        zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
        if (!source) abandon("cannot buffer entry " + quoted(name));
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
    if (zip_close(archive) != 0) abandon("cannot be built in memory");
    std::string out;
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_source_stat(buffer, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE) ||
        zip_source_open(buffer) != 0) {
        zip_source_free(buffer);
        fail(what, path, "cannot be built in memory (the archive cannot be read back)");
    }
    out.resize(stat.size);
    const zip_int64_t got = zip_source_read(buffer, out.data(), out.size());
    zip_source_close(buffer);
    zip_source_free(buffer);
    if (got < 0 || static_cast<std::size_t>(got) != out.size())
        fail(what, path, "cannot be built in memory (the archive cannot be read back)");
    return out;
}

void write_npz(const char* what, const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& entries) {
    const std::string bytes = npz_bytes(what, path, entries);
    AtomicFile file(what, path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

NpzReader::NpzReader(const char* what, const std::string& path) {
    {
        std::error_code ignored;
        if (std::filesystem::is_directory(path, ignored))
            fail(what, path, "is a directory; pass the path of a .npz file");
        std::ifstream probe(path, std::ios::binary | std::ios::ate);
        if (!probe) fail(what, path, "cannot be opened (no such file, or not readable)");
        // libzip would open an empty file as an archive without entries.
        if (probe.tellg() == std::streampos(0))
            fail(what, path, "is empty (0 bytes): truncated or not a .npz archive");
        file_size_ = static_cast<std::uint64_t>(probe.tellg());
    }
    int code = 0;
    archive_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!archive_) {
        const std::string why = zip_error_message(code);
        if (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS)
            fail(what, path,
                 "is truncated or not a .npz archive (" + why +
                     "); save it again with tg::nn::save or numpy.savez");
        if (code == ZIP_ER_EXISTS)  // libzip's check of the central directory
            fail(what, path,
                 "has two entries with the same name (" + why +
                     "); save it again with tg::nn::save or numpy.savez");
        fail(what, path, "cannot be opened as a .npz archive (" + why + ")");
    }
}

NpzReader::~NpzReader() {
    if (archive_) zip_discard(archive_);
}

std::size_t NpzReader::size() const {
    return static_cast<std::size_t>(zip_get_num_entries(archive_, 0));
}

std::optional<std::string> NpzReader::name(std::size_t index) const {
    const char* raw = zip_get_name(archive_, index, ZIP_FL_ENC_GUESS);
    if (!raw) return std::nullopt;
    return std::string(raw);
}

std::map<std::string, std::size_t> NpzReader::npy_entries(
    std::vector<std::string>& others, std::vector<std::string>& problems) const {
    std::map<std::string, std::size_t> out;
    const std::size_t suffix = std::strlen(kEntrySuffix);
    for (std::size_t i = 0; i < size(); ++i) {
        const std::optional<std::string> entry = name(i);
        if (!entry) {
            problems.push_back("entry #" + std::to_string(i) + " has no readable name");
            continue;
        }
        const bool is_npy = entry->size() > suffix &&
                            entry->compare(entry->size() - suffix, suffix, kEntrySuffix) == 0;
        if (!is_npy) {
            others.push_back(*entry);
            continue;
        }
        if (!out.emplace(entry->substr(0, entry->size() - suffix), i).second)
            problems.push_back("the file has entry " + quoted(*entry) + " twice");
    }
    return out;
}

NpyHeader NpzReader::read_entry(std::size_t index, const EntryCheck& check,
                                const std::function<char*()>& destination) const {
    zip_stat_t stat;
    zip_stat_init(&stat);
    const auto needed = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if (zip_stat_index(archive_, index, 0, &stat) != 0 || (stat.valid & needed) != needed)
        throw NpyFormatError{std::string("cannot be read (") + zip_strerror(archive_) + ")"};
    // Before a byte is inflated: libzip may decompress other methods, but tapegrad's bounds
    // below hold for numpy's two.
    if (stat.comp_method != ZIP_CM_STORE && stat.comp_method != ZIP_CM_DEFLATE)
        throw NpyFormatError{"is compressed with zip method " + std::to_string(stat.comp_method) +
                             "; only stored and deflated entries (numpy.savez, "
                             "numpy.savez_compressed) are read"};
    EntryStream in(archive_, index);

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

    const std::optional<std::size_t> need = check(header);
    if (!need) return header;
    const zip_uint64_t declared = stat.size;
    if (declared != offset + *need)
        throw NpyFormatError{"holds " +
                             (declared < offset ? "no" : std::to_string(declared - offset)) +
                             " data bytes where shape " + shape_str(header.shape) + " needs " +
                             std::to_string(*need) + " (truncated or malformed)"};
    // What the directory declares is allocated below, so it is checked against the file
    // first (zip_open's ZIP_CHECKCONS already refuses an entry past the archive's end, as
    // "is truncated or not a .npz archive"; this keeps the bound local): a stored entry holds at most its compressed bytes, a deflated one at most
    // 1032 bytes per compressed byte (deflate's largest ratio, zlib's FAQ), and those lie
    // inside the archive.
    if (stat.comp_size > file_size_)
        throw NpyFormatError{"claims " + std::to_string(stat.comp_size) +
                             " compressed bytes in an archive of " + std::to_string(file_size_)};
    const zip_uint64_t most =
        stat.comp_method == ZIP_CM_STORE ? stat.comp_size : 1032 * (stat.comp_size + 1);
    if (declared > most)
        throw NpyFormatError{"claims " + std::to_string(declared) + " bytes from " +
                             std::to_string(stat.comp_size) +
                             " compressed ones, more than its compression can give"};

    char* data = destination();
    const std::size_t got = *need ? in.read(data, *need) : 0;
    if (got < *need)
        throw NpyFormatError{"is truncated (" + std::to_string(offset + got) + " of " +
                             std::to_string(declared) + " bytes)"};
    // One more read at the end makes libzip compare the CRC of everything read.
    char extra;
    if (in.read(&extra, 1) > 0)
        throw NpyFormatError{"holds more bytes than its directory entry says"};
    return header;
}

template <class T>
Array<T> NpzReader::read(std::size_t index, const std::string& subject, const Shape& shape,
                         const std::string& holder) const {
    Array<T> value;
    const auto check = [&](const NpyHeader& header) -> std::optional<std::size_t> {
        if (!npy_descr_holds<T>(header.descr))
            throw ModelMismatch{subject + " has dtype " + dtype_name(header.descr) +
                                " in the file but " + holder + " stores " +
                                dtype_name(npy_descr<T>())};
        if (Shape(header.shape) != shape)
            throw ModelMismatch{subject + " has shape " + shape_str(header.shape) +
                                " in the file but " + shape_str(shape) + " in " + holder};
        return header.count() * sizeof(T);
    };
    const NpyHeader header = read_entry(index, check, [&] {
        value = Array<T>(shape);
        return reinterpret_cast<char*>(value.data());
    });
    decode_npy_data(header, value.data());
    return value;
}

template Array<float> NpzReader::read<float>(std::size_t, const std::string&, const Shape&,
                                             const std::string&) const;
template Array<double> NpzReader::read<double>(std::size_t, const std::string&, const Shape&,
                                               const std::string&) const;
template Array<std::int64_t> NpzReader::read<std::int64_t>(std::size_t, const std::string&,
                                                           const Shape&, const std::string&) const;
template Array<std::uint8_t> NpzReader::read<std::uint8_t>(std::size_t, const std::string&,
                                                           const Shape&, const std::string&) const;

}  // namespace tg::io::detail
