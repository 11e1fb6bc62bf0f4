#pragma once
// File-system helpers: whole-file reads with clear errors, temp files that cannot be redirected, and atomic
// file writes. Outputs a user names go through StagedOutput (core/staging.h), which applies the output rules.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace vlmq {

namespace fs = std::filesystem;

// A regular file of at most kMaxTextFileBytes (core/input_file.h), whole.
std::string read_text_file(const fs::path& path);

// A new file "<target>.tmp-<pid>-<random>" opened for writing with O_CREAT | O_EXCL | O_NOFOLLOW: whatever is
// already at that name (a stale file, a planted symbolic link) is never opened; another name is tried.
struct TempFile {
    int fd = -1;
    fs::path path;
};
TempFile create_temp_file(const fs::path& target, mode_t mode = 0644);

// Writes a temp file next to `path` (create_temp_file), then renames it over `path`. For files inside vlmq's own
// staging directories; user-facing paths go through StagedOutput first.
void write_file_atomic(const fs::path& path, std::string_view bytes);

}  // namespace vlmq
