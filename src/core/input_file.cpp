#include "core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.h"

namespace vlmq {

namespace {

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "is a directory, expected a file";
    if (S_ISFIFO(mode)) return "is a FIFO (named pipe), expected a regular file";
    if (S_ISCHR(mode)) return "is a character device, expected a regular file";
    if (S_ISBLK(mode)) return "is a block device, expected a regular file";
    if (S_ISSOCK(mode)) return "is a socket, expected a regular file";
    return "is not a regular file";
}

// Reads up to n bytes at offset, retrying short reads and EINTR: the count read (< n at end of file), or -1.
ssize_t read_fully(int fd, uint64_t offset, void* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
        const ssize_t r = ::pread(fd, static_cast<char*>(dst) + done, n - done, off_t(offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        done += size_t(r);
    }
    return ssize_t(done);
}

}  // namespace

InputFile::InputFile(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
        if (errno == ENOENT) fail("{}: cannot open file", path.string());
        fail("{}: cannot open file: {}", path.string(), std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        const int err = errno;
        ::close(fd_);
        fail("{}: cannot stat: {}", path.string(), std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd_);
        fail("{}: {}", path.string(), kind_of(st.st_mode));
    }
    size_ = uint64_t(st.st_size);
}

std::optional<InputFile> InputFile::probe(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return std::nullopt;
    }
    return InputFile(path, fd, uint64_t(st.st_size));
}

InputFile::InputFile(InputFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

InputFile::~InputFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::string InputFile::read_all(uint64_t max_bytes) const {
    if (size_ > max_bytes)
        fail("{}: file is {} bytes, more than the {} byte limit for this kind of input", path_.string(), size_,
             max_bytes);
    std::string out(size_t(size_), '\0');
    const ssize_t done = read_fully(fd_, 0, out.data(), out.size());
    if (done < 0) fail("{}: read error: {}", path_.string(), std::strerror(errno));
    if (size_t(done) < out.size())
        fail("{}: file shrank from {} to {} bytes while being read", path_.string(), size_, done);
    return out;
}

std::optional<std::string> InputFile::try_read_all(uint64_t max_bytes) const {
    if (size_ > max_bytes) return std::nullopt;
    std::string out(size_t(size_), '\0');
    if (!read_at(0, out.data(), out.size())) return std::nullopt;
    return out;
}

bool InputFile::read_at(uint64_t offset, void* dst, size_t n) const {
    return read_fully(fd_, offset, dst, n) == ssize_t(n);
}

std::string read_input_file(const std::filesystem::path& path, uint64_t max_bytes) {
    return InputFile(path).read_all(max_bytes);
}

std::optional<std::string> read_regular_file(const std::filesystem::path& path, uint64_t max_bytes) {
    const auto file = InputFile::probe(path);
    if (!file) return std::nullopt;
    return file->try_read_all(max_bytes);
}

}  // namespace vlmq
