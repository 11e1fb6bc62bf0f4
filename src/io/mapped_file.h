#pragma once
// Read-only memory map of a whole regular file. Inputs are never written through it. If another process
// truncates the file while it is mapped, touching the lost bytes ends the process with a one-line error
// naming the file and exit status 1 (a SIGBUS handler, see mapped_file.cpp), never a crash.
#include <cstddef>
#include <filesystem>
#include <span>

namespace vlmq::io {

class MappedFile {
public:
    MappedFile() = default;
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {data_, size_}; }
    size_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }
    // Tells the OS this process is done with a byte range for now: its pages leave this process's resident set
    // (they stay in the page cache and are re-read transparently if touched again).
    void release(size_t offset, size_t length) const;

private:
    void release();

    std::filesystem::path path_;
    const std::byte* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace vlmq::io
