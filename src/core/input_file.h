#pragma once
// Opening untrusted inputs: only regular files are read (a FIFO, socket or device in place of a config or
// image is refused at once instead of blocking or reading forever; O_NONBLOCK makes even the open return),
// and whole-file reads are capped at a documented size.
#include <cstdint>
#include <filesystem>
#include <string>

namespace vlmq {

// Whole-file reads of configs, tokenizer.json, datasets, results files.
inline constexpr uint64_t kMaxTextFileBytes = 1ull << 30;

// A read-only descriptor of a regular file and its size when opened. Fails "<path>: ..." otherwise.
class InputFile {
public:
    explicit InputFile(const std::filesystem::path& path);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    int fd() const { return fd_; }
    uint64_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }
    // The whole file (size() bytes); fails when it exceeds max_bytes or shrinks while being read.
    std::string read_all(uint64_t max_bytes) const;

private:
    std::filesystem::path path_;
    int fd_ = -1;
    uint64_t size_ = 0;
};

// InputFile(path).read_all(max_bytes).
std::string read_input_file(const std::filesystem::path& path, uint64_t max_bytes);

}  // namespace vlmq
