#include <tapegrad/io/detail/atomic_file.hpp>

#include <tapegrad/io/detail/npz.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

namespace tg::io::detail {

AtomicFile::AtomicFile(const char* what, std::string path)
    : what_(what), path_(std::move(path)), temp_(path_ + ".tmp") {
    std::error_code ignored;
    if (std::filesystem::is_directory(path_, ignored))
        fail(what_, path_, "is a directory; pass the path of a file");
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0)
        fail(what_, path_,
             "cannot be created (" + std::string(std::strerror(errno)) + " for " +
                 detail::quoted(temp_) + "); check that the directory exists and is writable");
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::fail_errno(const std::string& doing) {
    const std::string why = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(temp_.c_str());
    fail(what_, path_,
         "cannot be written (" + why + " while " + doing +
             "); free some space or check the disk; an existing file is left as it was");
}

void AtomicFile::write(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, bytes, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_errno("writing " + detail::quoted(temp_));
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
}

void AtomicFile::commit() {
    if (::fsync(fd_) != 0) fail_errno("flushing " + detail::quoted(temp_) + " to the disk");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail_errno("closing " + detail::quoted(temp_));
    if (std::rename(temp_.c_str(), path_.c_str()) != 0)
        fail_errno("renaming " + detail::quoted(temp_) + " to it");
    committed_ = true;
    // The rename is durable once the folder's entry is on the disk. A folder that cannot
    // be opened or flushed (some file systems refuse) still holds the new file.
    const std::string folder = std::filesystem::path(path_).parent_path().string();
    const int dir =
        ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

}  // namespace tg::io::detail
