#include "package/hash_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "core/fs_util.h"
#include "core/json_util.h"

namespace vlmq::package {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCacheFormat = "vlmq-file-hashes";
constexpr uintmax_t kMaxCacheFileBytes = 1u << 20;  // ~kMaxEntries entries of ~250 bytes, with room

int64_t ns_of(const struct timespec& t) { return int64_t(t.tv_sec) * 1'000'000'000 + int64_t(t.tv_nsec); }

json stamp_json(const FileStamp& s) {
    return {{"path", s.path},   {"size", s.size},         {"dev", s.dev},
            {"inode", s.inode}, {"mtime_ns", s.mtime_ns}, {"ctime_ns", s.ctime_ns}};
}

}  // namespace

std::optional<FileStamp> stamp_of(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    std::error_code ec;
    const fs::path abs = fs::absolute(file, ec);
    if (ec) return std::nullopt;
    FileStamp s;
    s.path = abs.lexically_normal().string();
    s.size = uint64_t(st.st_size);
    s.dev = uint64_t(st.st_dev);
    s.inode = uint64_t(st.st_ino);
#if defined(__APPLE__)
    s.mtime_ns = ns_of(st.st_mtimespec);
    s.ctime_ns = ns_of(st.st_ctimespec);
#else
    s.mtime_ns = ns_of(st.st_mtim);
    s.ctime_ns = ns_of(st.st_ctim);
#endif
    return s;
}

fs::path default_cache_file() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg && *xdg && fs::path(xdg).is_absolute()) return fs::path(xdg) / "vlmq" / "file-hashes.json";
    const char* home = std::getenv("HOME");
    if (home && *home && fs::path(home).is_absolute()) return fs::path(home) / ".cache" / "vlmq" / "file-hashes.json";
    return {};
}

int64_t wall_clock_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

HashCache::HashCache(fs::path file) : file_(std::move(file)) {
    if (file_.empty()) return;
    std::error_code ec;
    if (!fs::is_regular_file(file_, ec) || fs::file_size(file_, ec) > kMaxCacheFileBytes || ec) return;
    try {
        const json j = read_json_file(file_);
        if (j.value("format", "") != kCacheFormat || j.value("version", 0) != 1) return;
        for (const auto& e : j.at("entries")) {
            Entry en;
            en.stamp = {e.at("path").get<std::string>(),     e.at("size").get<uint64_t>(),
                        e.at("dev").get<uint64_t>(),         e.at("inode").get<uint64_t>(),
                        e.at("mtime_ns").get<int64_t>(),     e.at("ctime_ns").get<int64_t>()};
            en.hash = e.at("hash").get<std::string>();
            entries_.push_back(std::move(en));
        }
    } catch (const std::exception&) {
        entries_.clear();  // a malformed cache is an empty one
    }
}

std::optional<std::string> HashCache::find(const FileStamp& s) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
        if (it->stamp == s) return it->hash;
    return std::nullopt;
}

void HashCache::put(const FileStamp& s, const std::string& hash, int64_t hashed_at_ns) {
    if (file_.empty() || hashed_at_ns - s.mtime_ns < kRacyNs) return;
    std::erase_if(entries_, [&](const Entry& e) { return e.stamp.path == s.path; });
    entries_.push_back({s, hash});
    if (entries_.size() > kMaxEntries) entries_.erase(entries_.begin(), entries_.end() - kMaxEntries);
    dirty_ = true;
}

void HashCache::save() const {
    if (!dirty_) return;
    json entries = json::array();
    for (const auto& e : entries_) {
        json j = stamp_json(e.stamp);
        j["hash"] = e.hash;
        entries.push_back(std::move(j));
    }
    const json out = {{"format", kCacheFormat}, {"version", 1}, {"entries", entries}};
    try {
        std::error_code ec;
        fs::create_directories(file_.parent_path(), ec);
        write_file_atomic(file_, out.dump(1));
    } catch (const std::exception&) {
        // Only a cache: the next use hashes again.
    }
}

}  // namespace vlmq::package
