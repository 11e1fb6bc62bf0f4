#include "core/staging.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/atomic_rename.h"
#include "core/error.h"
#include "core/fs_util.h"

namespace vlmq {

namespace {

constexpr std::string_view kStagingTags[] = {"tmp", "candidates"};
constexpr const char* kMarkerText = "vlmq staging\n";
// Where commit() moves an old output aside when the file system cannot swap two paths.
constexpr const char* kPrevious = ".vlmq-previous";

bool process_gone(long pid) { return pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH; }

// The pid in "<name>.<tag>-<pid>-<random>", or 0.
long staging_pid(const std::string& entry, const std::string& name) {
    for (std::string_view tag : kStagingTags) {
        const std::string prefix = name + "." + std::string(tag) + "-";
        if (entry.size() <= prefix.size() || entry.compare(0, prefix.size(), prefix) != 0) continue;
        const size_t dash = entry.find('-', prefix.size());
        if (dash == std::string::npos || dash == prefix.size() || dash - prefix.size() > 9) return 0;
        long pid = 0;
        for (size_t i = prefix.size(); i < dash; ++i) {
            if (entry[i] < '0' || entry[i] > '9') return 0;
            pid = pid * 10 + (entry[i] - '0');
        }
        return pid;
    }
    return 0;
}

bool carries_marker(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(fs::symlink_status(dir, ec)) &&
           fs::is_regular_file(fs::symlink_status(dir / kStagingMarker, ec));
}

}  // namespace

int clean_stale_staging(const fs::path& out) {
    const std::string name = out.filename().string();
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(out.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path p = it->path();
        const long pid = staging_pid(p.filename().string(), name);
        if (pid == 0 || pid == long(getpid()) || !carries_marker(p) || !process_gone(pid)) continue;
        std::error_code e2;
        // A run killed between the two renames of the fallback commit left the old output here: restore it.
        if (!fs::exists(fs::symlink_status(out, e2)) && fs::exists(fs::symlink_status(p / kPrevious, e2)))
            rename_no_replace(p / kPrevious, out);
        fs::remove_all(p, e2);
        removed += !e2;
    }
    return removed;
}

ScratchDir::ScratchDir(const fs::path& out, std::string_view tag) {
    clean_stale_staging(out);
    std::string templ = fmt::format("{}.{}-{}-XXXXXX", out.string(), tag, getpid());
    if (::mkdtemp(templ.data()) == nullptr)
        fail("{}: cannot create a staging directory next to it: {}", out.string(), std::strerror(errno));
    dir_ = templ;
    const fs::path marker = dir_ / kStagingMarker;
    const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    const bool ok = fd >= 0 && ::write(fd, kMarkerText, std::strlen(kMarkerText)) == ssize_t(std::strlen(kMarkerText));
    if (fd >= 0) ::close(fd);
    if (!ok) {
        const int e = errno;
        std::error_code ec;
        fs::remove_all(dir_, ec);
        fail("{}: cannot write: {}", marker.string(), std::strerror(e));
    }
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

StagedOutput::StagedOutput(const fs::path& out, OutputKind kind, bool force)
    : kind_(std::move(kind)),
      force_(force),
      final_([&] {
          const fs::path p = resolve_output_path(out, "");
          check_replaceable(p, kind_, force_, "");
          return p;
      }()),
      scratch_(final_, "tmp"),
      staged_(scratch_.path() / final_.filename()) {
    std::error_code ec;
    if (kind_.type == OutputType::Directory && !fs::create_directory(staged_, ec))
        fail("{}: cannot create: {}", staged_.string(), ec ? ec.message() : "exists");
    if (!kind_.marker.empty()) write_file_atomic(staged_ / kOutputMarker, kind_.marker + "\n");
}

void StagedOutput::commit() {
    check_replaceable(final_, kind_, force_, "");
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(final_, ec))) {
        ec = rename_no_replace(staged_, final_);
        if (ec == std::errc::file_exists) fail("{}: something appeared there while vlmq was writing it", final_.string());
    } else if (kind_.type == OutputType::File) {
        fs::rename(staged_, final_, ec);  // replaces a regular file in one step
    } else {
        ec = exchange_paths(staged_, final_);
        if (ec == std::errc::operation_not_supported) {
            // No swap here: move the old output aside into the staging directory (restored from there if this
            // run dies before the next rename), then move the new one in.
            const fs::path previous = scratch_.path() / kPrevious;
            fs::rename(final_, previous, ec);
            if (!ec) {
                fs::rename(staged_, final_, ec);
                std::error_code undo;
                if (ec) fs::rename(previous, final_, undo);
            }
        }
    }
    if (ec) fail("{}: cannot move the output into place: {}", final_.string(), ec.message());
    committed_ = true;
}

}  // namespace vlmq
