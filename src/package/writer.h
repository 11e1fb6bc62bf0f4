#pragma once
// Writes a .vlmq package (docs/package.md): every tensor in a format and a shape goes to the shard the layout
// gives it, stored as the safetensors tensors its format implies (package_format.h); side files are copied and
// the manifest written last, in a staging directory that appears at the output path only when complete.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "core/staging.h"
#include "io/safetensors.h"
#include "qformat/format.h"

namespace vlmq::package {

struct TensorSpec {
    io::TensorDecl source;                 // name, source dtype, original shape
    std::optional<qformat::Format> format;  // none: stored exactly as in the source ("keep")
};

// The safetensors tensors one package tensor is stored as: itself in a float dtype (or its source bytes), or
// codes (U8 [rows, row_bytes]) + scales (F16 [rows, groups]) + biases when affine.
std::vector<io::TensorDecl> stored_decls(const TensorSpec& t);
int64_t stored_bytes(const TensorSpec& t);

// A file of the package with its size and content hash (integrity.h).
struct FileDigest {
    std::string name;
    uint64_t bytes = 0;
    std::string hash;
};

// What the manifest records to verify a package before use: every shard and side file, every tensor.
struct PackageDigests {
    std::vector<FileDigest> shards, side_files;
    std::map<std::string, std::string> tensors;  // tensor name -> hash of its stored tensors
};

// A .vlmq package directory: recognised by a manifest.json of format kFormatName.
OutputKind package_output_kind();

class PackageWriter {
public:
    // Tensors go to shards in the given order, a new shard when the next would pass `max_shard_bytes`. An
    // existing `out` is replaced only when it is a package (or empty), or with `force` (core/output_guard.h).
    PackageWriter(const std::filesystem::path& out, std::vector<TensorSpec> tensors, uint64_t max_shard_bytes,
                  bool force = false);

    size_t shard_count() const { return shards_.size(); }
    const std::vector<size_t>& shard_tensors(size_t shard) const { return shards_[shard]; }  // indices into tensors
    std::string shard_file(size_t shard) const;
    std::vector<std::string> shard_files() const;
    // A writer declaring every stored tensor of the shard; the caller writes each and calls finish().
    io::SafetensorsWriter open_shard(size_t shard) const;
    void copy_side_file(const std::filesystem::path& file);
    // Hashes the shards (after each one's finish()) and the copied side files, as they lie in the staging directory.
    PackageDigests digests() const;
    // Writes manifest.json, moves the package into place and returns its bytes on disk.
    uint64_t commit(const ordered_json& manifest);

private:
    std::vector<TensorSpec> tensors_;
    std::vector<std::vector<size_t>> shards_;
    std::vector<std::string> side_files_;  // in copy order
    StagedOutput stage_;
};

// Bytes of the regular files directly in `dir`.
uint64_t directory_bytes(const std::filesystem::path& dir);

}  // namespace vlmq::package
