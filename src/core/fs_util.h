#pragma once
// File-system helpers: whole-file reads with clear errors, atomic file writes and staged directory
// outputs (write into "<out>.tmp-<pid>", rename into place on commit, remove on failure).
#include <filesystem>
#include <string>
#include <string_view>

namespace vlmq {

namespace fs = std::filesystem;

// A regular file of at most kMaxTextFileBytes (core/input_file.h), whole.
std::string read_text_file(const fs::path& path);
// Writes to "<path>.tmp-<pid>" then renames over path.
void write_file_atomic(const fs::path& path, std::string_view bytes);

class StagingDir {
public:
    explicit StagingDir(fs::path final_path);
    ~StagingDir();  // removes the staging directory unless committed
    StagingDir(const StagingDir&) = delete;
    StagingDir& operator=(const StagingDir&) = delete;

    const fs::path& path() const { return staging_; }
    const fs::path& final_path() const { return final_; }
    // Moves the staged directory to its final path, replacing an existing one.
    void commit();

private:
    fs::path final_, staging_;
    bool committed_ = false;
};

}  // namespace vlmq
