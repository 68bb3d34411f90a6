#pragma once
// A file replaced as a whole: written under a temporary name in the same folder
// ("PATH.tmp"), flushed to the disk (fsync), then renamed over PATH, and the folder
// flushed too. At every moment PATH is the old file or the whole new one, even when the
// process is killed or the machine stops; a write that fails leaves PATH as it was and
// removes the temporary file. A temporary file a killed writer left is replaced by the
// next write to PATH (the name does not change from one write to the next).

#include <cstddef>
#include <string>

namespace tg::io::detail {

/// One replacement of `path`; tg::IoError "what: 'path': ..." on any failure.
class AtomicFile {
public:
    /// Creates (or truncates) "path.tmp". Refuses a `path` that is a directory.
    AtomicFile(const char* what, std::string path);
    /// Removes the temporary file unless commit() succeeded.
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Appends `size` bytes.
    void write(const void* data, std::size_t size);
    /// Flushes the bytes written to the disk (fsync), renames the temporary file over
    /// `path`, flushes the folder.
    void commit();

private:
    [[noreturn]] void fail_errno(const std::string& doing);

    const char* what_;
    std::string path_, temp_;
    int fd_ = -1;
    bool committed_ = false;
};

}  // namespace tg::io::detail
