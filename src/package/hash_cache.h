#pragma once
// A small per-user cache of file hashes, so a package is hashed once and not on every `run`: the hash of a file
// is reused while the file keeps its path, size, device, inode, mtime and ctime (ctime cannot be set back by a
// user, so "modify, then restore mtime" still misses). A file whose mtime is less than kRacyNs before it was
// hashed is not cached (a later change in the same timestamp tick would look unchanged, as in git's index).
//
// The cache lives outside packages, so a read-only or shared package is never written to: default_cache_file()
// is $XDG_CACHE_HOME/vlmq/file-hashes.json, else $HOME/.cache/vlmq/file-hashes.json. It is only a cache: a
// missing, unreadable or malformed one counts as empty, and one that cannot be written is skipped.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vlmq::package {

struct FileStamp {
    std::string path;  // absolute, normalized
    uint64_t size = 0, dev = 0, inode = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
};

// The stamp of a regular file; nullopt when it cannot be stat'ed.
std::optional<FileStamp> stamp_of(const std::filesystem::path& file);

// Empty when neither XDG_CACHE_HOME nor HOME is set.
std::filesystem::path default_cache_file();

class HashCache {
public:
    static constexpr int64_t kRacyNs = 2'000'000'000;
    static constexpr size_t kMaxEntries = 512;  // oldest dropped first

    // An empty path: a cache that remembers nothing.
    explicit HashCache(std::filesystem::path file);

    std::optional<std::string> find(const FileStamp& s) const;
    // `hashed_at_ns`: wall-clock time (ns since the epoch) when hashing began.
    void put(const FileStamp& s, const std::string& hash, int64_t hashed_at_ns);
    void save() const;  // when anything was put

private:
    struct Entry {
        FileStamp stamp;
        std::string hash;
    };
    std::filesystem::path file_;
    std::vector<Entry> entries_;  // oldest first
    bool dirty_ = false;
};

int64_t wall_clock_ns();

}  // namespace vlmq::package
