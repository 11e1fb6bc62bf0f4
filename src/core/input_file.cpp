#include "core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

InputFile::~InputFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::string InputFile::read_all(uint64_t max_bytes) const {
    if (size_ > max_bytes)
        fail("{}: file is {} bytes, more than the {} byte limit for this kind of input", path_.string(), size_,
             max_bytes);
    std::string out(size_t(size_), '\0');
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t r = ::pread(fd_, out.data() + done, out.size() - done, off_t(done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail("{}: read error: {}", path_.string(), std::strerror(errno));
        if (r == 0) fail("{}: file shrank from {} to {} bytes while being read", path_.string(), size_, done);
        done += size_t(r);
    }
    return out;
}

std::string read_input_file(const std::filesystem::path& path, uint64_t max_bytes) {
    return InputFile(path).read_all(max_bytes);
}

}  // namespace vlmq
