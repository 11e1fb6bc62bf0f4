#pragma once
// Reads a .vlmq package (manifest.json + safetensors shards): as a WeightSource for the engine, and as a
// manifest for `inspect`, `dequantize` and the exporters.
#include <filesystem>
#include <map>
#include <memory>

#include "core/json_util.h"
#include "io/safetensors.h"
#include "package/package_verify.h"
#include "package/weights.h"

namespace vlmq::package {

struct PackageTensor {
    std::string name, component, file;
    std::vector<int64_t> shape;
    DType source_dtype = DType::F32;
    bool keep = false;
    qformat::Format format;  // when !keep
    std::string algorithm;
    int64_t bytes = 0;
    double rel_error = 0.0;
    std::string hash;  // of its stored tensors (integrity.h)
};

class Package {
public:
    // Parses the manifest, maps the shards and verifies the package (package_verify.h); fails on the first problem.
    explicit Package(const std::filesystem::path& dir, const VerifyOptions& verify = {});

    const std::filesystem::path& dir() const { return dir_; }
    const json& manifest() const { return manifest_; }
    const json& config() const { return config_; }
    const std::map<std::string, PackageTensor>& tensors() const { return tensors_; }
    const std::vector<ListedFile>& shards() const { return shards_; }
    const std::vector<ListedFile>& side_files() const { return side_files_; }
    const io::SafetensorsFile& shard(const std::string& name) const { return *files_.at(name); }
    const VerifyResult& verified() const { return verified_; }
    // A view of one tensor (fails for non-float "keep" tensors such as I64 counters).
    std::optional<Weight> weight(const std::string& name) const;
    // Raw stored bytes of a "keep" tensor.
    std::span<const std::byte> raw(const std::string& name) const;

private:
    const io::TensorInfo& stored(const PackageTensor& t, const std::string& name, DType dtype,
                                 const std::vector<int64_t>& shape) const;

    std::filesystem::path dir_;
    json manifest_, config_;
    std::map<std::string, std::unique_ptr<io::SafetensorsFile>> files_;
    std::map<std::string, PackageTensor> tensors_;
    std::vector<ListedFile> shards_, side_files_;
    VerifyResult verified_;
};

std::unique_ptr<WeightSource> package_weights(std::shared_ptr<const Package> pkg);

}  // namespace vlmq::package
