#pragma once
// safetensors files: a hostile-input-safe header parser, a memory-mapped reader and a writer that
// accepts tensor data in any order (each tensor lands at its precomputed offset).
//
// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON
// {"name": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the data section; offsets are relative to the data section, tensors tile it without gaps.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "io/mapped_file.h"

namespace vlmq::io {

inline constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // same cap as the reference implementation
inline constexpr size_t kMaxHeaderTensors = size_t(1) << 17;  // per file; full-size FastVLM has ~1,000

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // byte range within the data section

    int64_t numel() const;
    uint64_t nbytes() const { return end - begin; }
};

struct SafetensorsHeader {
    std::vector<TensorInfo> tensors;  // sorted by begin offset
    std::map<std::string, std::string> metadata;
    uint64_t data_offset = 0;  // 8 + header length
};

// Parses and validates the header of a whole file image. `where` names the file in errors.
SafetensorsHeader parse_safetensors(std::span<const std::byte> file, const std::string& where);

class SafetensorsFile {
public:
    explicit SafetensorsFile(const std::filesystem::path& path);

    const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
    const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
    const TensorInfo* find(const std::string& name) const;
    std::span<const std::byte> data(const TensorInfo& t) const;
    // Drops a tensor's pages from this process's resident set (see MappedFile::release).
    void release(const TensorInfo& t) const { file_.release(header_.data_offset + t.begin, t.nbytes()); }
    const std::filesystem::path& path() const { return file_.path(); }
    uint64_t file_size() const { return file_.size(); }
    // Raw header bytes (length prefix + JSON), e.g. for hashing.
    std::span<const std::byte> header_bytes() const { return file_.bytes().first(header_.data_offset); }

private:
    MappedFile file_;
    SafetensorsHeader header_;
    std::map<std::string, size_t> index_;
};

struct TensorDecl {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
};

// Declare every tensor up front; then write each exactly once, whole or in chunks, in any order, from any
// thread (chunks of different byte ranges may be written concurrently).
// The file appears at `path` only after finish(); until then it lives at a temp name next to it
// (create_temp_file: never a file or link already there). For user-facing paths, stage it (core/staging.h).
class SafetensorsWriter {
public:
    SafetensorsWriter(std::filesystem::path path, std::vector<TensorDecl> decls,
                      std::map<std::string, std::string> metadata = {});
    ~SafetensorsWriter();
    SafetensorsWriter(const SafetensorsWriter&) = delete;
    SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

    void write(const std::string& name, std::span<const std::byte> bytes);
    void write_chunk(const std::string& name, uint64_t offset, std::span<const std::byte> bytes);
    void finish();

    uint64_t file_size() const { return data_offset_ + data_size_; }
    uint64_t tensor_bytes(const std::string& name) const;

private:
    struct Slot {
        TensorInfo info;
        std::atomic<uint64_t> written{0};
    };
    Slot& slot(const std::string& name);

    std::filesystem::path path_, tmp_path_;
    int fd_ = -1;
    std::map<std::string, Slot> slots_;
    uint64_t data_offset_ = 0, data_size_ = 0;
    bool finished_ = false;
};

// Convenience: writes a whole file from in-memory tensors.
struct OwnedTensor {
    TensorDecl decl;
    std::vector<std::byte> bytes;
};
void write_safetensors(const std::filesystem::path& path, const std::vector<OwnedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace vlmq::io
