#include "core/fs_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "core/error.h"
#include "core/input_file.h"

namespace vlmq {

std::string read_text_file(const fs::path& path) { return read_input_file(path, kMaxTextFileBytes); }

TempFile create_temp_file(const fs::path& target, mode_t mode) {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        TempFile t;
        t.path = fmt::format("{}.tmp-{}-{:08x}", target.string(), getpid(), rd());
        t.fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (t.fd >= 0) return t;
        if (errno != EEXIST) fail("{}: cannot create: {}", t.path.string(), std::strerror(errno));
    }
    fail("{}: cannot create a temp file next to it (every name tried exists)", target.string());
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
    TempFile tmp = create_temp_file(path, 0666);
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t w = ::write(tmp.fd, bytes.data() + done, bytes.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            const int e = errno;
            ::close(tmp.fd);
            ::unlink(tmp.path.c_str());
            fail("{}: write failed (disk full?): {}", tmp.path.string(), std::strerror(e));
        }
        done += size_t(w);
    }
    if (::close(tmp.fd) != 0) {
        const int e = errno;
        ::unlink(tmp.path.c_str());
        fail("{}: write failed (disk full?): {}", tmp.path.string(), std::strerror(e));
    }
    std::error_code ec;
    fs::rename(tmp.path, path, ec);
    if (ec) {
        ::unlink(tmp.path.c_str());
        fail("{}: cannot rename into place: {}", path.string(), ec.message());
    }
}

}  // namespace vlmq
