#pragma once
// .npz archives (numpy.savez's zip of .npy entries), written and read for the model
// checkpoints (nn/src/checkpoint.cpp), the optimizer state files
// (optim/src/checkpoint.cpp) and tg::io::load_npz (io/src/npz_arrays.cpp).
// tg::io::detail: for tapegrad's own readers and writers.
//
// Entries are read strictly: each .npy header is parsed by npy.hpp's parser and checked
// by the caller (against the shape and dtype it expects, or for a dtype it reads), and
// the entry's declared size against the archive's size and what its compression can
// give, before any data byte is read or inflated; so a file cannot make a reader
// allocate more than the caller's tensors, or than sizes the file declares and those
// checks bound (tg::io::load_npz).

#include <tapegrad/array.hpp>
#include <tapegrad/io/detail/npy.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// libzip's archive handle (zip.h's zip_t); the header stays free of libzip's.
struct zip;

namespace tg::io::detail {

/// 's' in single quotes, for messages.
std::string quoted(const std::string& s);

/// numpy's name for a dtype descriptor, for messages: '<f8' -> "float64 ('<f8')".
std::string dtype_name(const std::string& descr);

/// Throws tg::IoError "what: 'path': problem".
[[noreturn]] void fail(const char* what, const std::string& path, const std::string& problem);

/// An entry holding another dtype or shape than the reader expects; a whole sentence.
struct ModelMismatch {
    std::string problem;
};

/// The suffix of every entry's name in the archive.
constexpr const char* kEntrySuffix = ".npy";

/// The bytes of a .npz archive of `entries` ((name, .npy bytes); each stored as
/// "name.npy", uncompressed, as numpy.savez), built in memory; `what` and `path` only
/// name the file in a tg::IoError.
std::string npz_bytes(const char* what, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& entries);

/// Writes npz_bytes(entries) to `path` through an AtomicFile ("PATH.tmp", fsync,
/// rename), replacing the file as a whole: an error or a kill leaves an existing file
/// unchanged, and no file but "PATH.tmp" is ever created (the next write replaces it).
/// tg::IoError "what: 'path': ..." on failure.
void write_npz(const char* what, const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& entries);

/// A .npz archive opened for reading, closed on scope exit. The constructor throws
/// tg::IoError "what: 'path': ..." when the file is missing, a directory, empty, not a
/// zip archive, or has two entries with the same name.
class NpzReader {
public:
    NpzReader(const char* what, const std::string& path);
    ~NpzReader();
    NpzReader(const NpzReader&) = delete;
    NpzReader& operator=(const NpzReader&) = delete;

    /// The number of entries.
    std::size_t size() const;
    /// The name of entry `index`, empty when it has no readable name.
    std::optional<std::string> name(std::size_t index) const;
    /// Reads entry `index` into a value of `shape`, checking its .npy header against
    /// `shape` and T before a byte of data is read or inflated. Throws NpyFormatError
    /// saying what is wrong with the entry ("is truncated ..."), or ModelMismatch
    /// ("<subject> has shape (3,) in the file but (2,) in <holder>") when it holds another
    /// dtype or shape.
    template <class T>
    Array<T> read(std::size_t index, const std::string& subject, const Shape& shape,
                  const std::string& holder) const;

    /// Given an entry's parsed .npy header before any data byte is read: the number of
    /// data bytes to read, or std::nullopt to read none; throws to refuse the entry.
    using EntryCheck = std::function<std::optional<std::size_t>(const NpyHeader&)>;
    /// Reads entry `index`'s .npy header and gives it to `check`. When `check` asks for
    /// n data bytes, the entry's declared size must be the header's plus n and fit what
    /// its compressed bytes can hold (stored or deflated entries only); then
    /// `destination()` gives where the n bytes go, as in the file. Returns the header.
    /// Throws NpyFormatError saying what is wrong with the entry.
    NpyHeader read_entry(std::size_t index, const EntryCheck& check,
                         const std::function<char*()>& destination) const;

    /// The entries by name without ".npy" (name -> index). Entries whose name does not
    /// end in ".npy" go to `others` (full name); one without a readable name or a name
    /// twice is a sentence in `problems`.
    std::map<std::string, std::size_t> npy_entries(std::vector<std::string>& others,
                                                   std::vector<std::string>& problems) const;

private:
    ::zip* archive_ = nullptr;
    std::uint64_t file_size_ = 0;  ///< bytes of the archive
};

}  // namespace tg::io::detail
