#include "core/fs_util.h"

#include <unistd.h>

#include <fstream>

#include "core/error.h"
#include "core/input_file.h"

namespace vlmq {

std::string read_text_file(const fs::path& path) { return read_input_file(path, kMaxTextFileBytes); }

void write_file_atomic(const fs::path& path, std::string_view bytes) {
    const fs::path tmp = path.string() + ".tmp-" + std::to_string(getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail("{}: cannot create file", tmp.string());
        out.write(bytes.data(), std::streamsize(bytes.size()));
        out.flush();
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            fail("{}: write failed (disk full?)", tmp.string());
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        fail("{}: cannot rename into place: {}", path.string(), ec.message());
    }
}

StagingDir::StagingDir(fs::path final_path) : final_(std::move(final_path)) {
    if (final_.has_filename() == false) final_ = final_.parent_path();
    staging_ = final_.string() + ".tmp-" + std::to_string(getpid());
    std::error_code ec;
    fs::remove_all(staging_, ec);
    if (!final_.parent_path().empty() && !fs::exists(final_.parent_path()))
        fail("{}: parent directory does not exist", final_.string());
    if (!fs::create_directory(staging_, ec) || ec)
        fail("{}: cannot create staging directory: {}", staging_.string(), ec.message());
}

StagingDir::~StagingDir() {
    if (!committed_) {
        std::error_code ec;
        fs::remove_all(staging_, ec);
    }
}

void StagingDir::commit() {
    std::error_code ec;
    fs::path old;
    if (fs::exists(final_)) {
        old = final_.string() + ".old-" + std::to_string(getpid());
        fs::remove_all(old, ec);
        fs::rename(final_, old, ec);
        if (ec) fail("{}: cannot move existing output aside: {}", final_.string(), ec.message());
    }
    fs::rename(staging_, final_, ec);
    if (ec) {
        if (!old.empty()) fs::rename(old, final_, ec);
        fail("{}: cannot move output into place: {}", final_.string(), ec.message());
    }
    committed_ = true;
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace vlmq
