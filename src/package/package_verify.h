#pragma once
// Packages are verified before use (docs/package.md, "Verification"). Every Package is checked when opened:
//   structure, always: manifest and shards list exactly the same stored tensors; each tensor's stored dtypes,
//     shapes and byte count agree with its declared format + shape (qformat::stored_tensors); file sizes agree
//     with the manifest; every scale and bias is finite; unused pad bits of each code row are zero;
//   content, unless HashCheck::Skip: each listed file's XXH3-128 equals the recorded one (Cached reuses a hash
//     from the per-user HashCache while the file is unchanged); a mismatching shard is searched for the tensor
//     whose hash differs, so the error names it. Full also checks every tensor hash and ignores cached hashes.
// The first failure is a vlmq::Error of one line naming the package, the file and the tensor.
#include <cstdint>
#include <filesystem>
#include <string>

namespace vlmq::package {

class Package;

// A file the manifest lists: a shard ("files") or a side file ("side_files").
struct ListedFile {
    std::string name;
    uint64_t bytes = 0;
    std::string hash;
};

enum class HashCheck : uint8_t {
    Skip,    // structure only (`--no-verify`; candidates the pipeline has just written itself)
    Cached,  // the CLI default
    Full,    // `vlmq verify`, and the library default (no cache file is touched)
};

struct VerifyOptions {
    HashCheck hashes = HashCheck::Full;
    std::filesystem::path cache_file;  // hash cache (hash_cache.h); empty: none
};

struct VerifyResult {
    size_t files = 0, tensors = 0;   // listed in the manifest
    size_t files_hashed = 0, cache_hits = 0;
    uint64_t bytes_hashed = 0;
};

// The package's own checks after the manifest is parsed and its shards mapped; Package's constructor calls it.
VerifyResult verify_package(const Package& pkg, const VerifyOptions& options);
// That a listed file exists with the recorded size; run before a shard is mapped, so that a truncated or
// swapped shard is reported as such rather than as a malformed safetensors file.
void check_listed_file(const std::filesystem::path& package_dir, const ListedFile& file);

}  // namespace vlmq::package
