#pragma once
// Opening untrusted inputs: only regular files are read (a FIFO, socket or device in place of a config or
// image is refused at once instead of blocking or reading forever; O_NONBLOCK makes even the open return),
// and whole-file reads are capped at a documented size.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace vlmq {

// Whole-file reads of configs, tokenizer.json, datasets, results files.
inline constexpr uint64_t kMaxTextFileBytes = 1ull << 30;

// A read-only descriptor of a regular file and its size when opened.
class InputFile {
public:
    // An input the user named (symbolic links followed). Fails "<path>: ..." when it is not a readable regular file.
    explicit InputFile(const std::filesystem::path& path);
    // For looking at a path that may be anything (an existing --out): the regular file at `path` itself, or
    // nullopt for a symbolic link, FIFO, device, directory or missing file. Never throws.
    static std::optional<InputFile> probe(const std::filesystem::path& path);
    ~InputFile();
    InputFile(InputFile&& other) noexcept;
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    InputFile& operator=(InputFile&&) = delete;

    int fd() const { return fd_; }
    uint64_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }
    // The whole file (size() bytes); fails when it exceeds max_bytes or shrinks while being read.
    std::string read_all(uint64_t max_bytes) const;
    // read_all without errors: nullopt when the file exceeds max_bytes or cannot be read whole.
    std::optional<std::string> try_read_all(uint64_t max_bytes) const;
    // Bytes [offset, offset + n) into dst; false when the file ends before or a read fails.
    bool read_at(uint64_t offset, void* dst, size_t n) const;

private:
    InputFile(std::filesystem::path path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}

    std::filesystem::path path_;
    int fd_ = -1;
    uint64_t size_ = 0;
};

// InputFile(path).read_all(max_bytes).
std::string read_input_file(const std::filesystem::path& path, uint64_t max_bytes);
// InputFile::probe(path) then try_read_all(max_bytes): the bytes, or nullopt (never throws).
std::optional<std::string> read_regular_file(const std::filesystem::path& path, uint64_t max_bytes);

}  // namespace vlmq
