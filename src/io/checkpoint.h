#pragma once
// A Hugging Face checkpoint directory: config.json plus model.safetensors, or shards listed in
// model.safetensors.index.json. All tensors are memory-mapped; nothing is copied or modified.
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "io/safetensors.h"

namespace vlmq::io {

struct TensorRef {
    const SafetensorsFile* file = nullptr;
    const TensorInfo* info = nullptr;
    std::span<const std::byte> bytes() const { return file->data(*info); }
    void release() const { file->release(*info); }
};

class Checkpoint {
public:
    // `dir` must hold config.json and model.safetensors or model.safetensors.index.json.
    explicit Checkpoint(const std::filesystem::path& dir);

    const std::filesystem::path& dir() const { return dir_; }
    const json& config() const { return config_; }
    // Tensor names in a stable (sorted) order.
    const std::vector<std::string>& names() const { return names_; }
    const TensorRef* find(const std::string& name) const;
    const TensorRef& at(const std::string& name) const;  // fails naming the tensor when absent
    const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
    uint64_t total_tensor_bytes() const;

    // Tokenizer/config side files present in the directory (copied into packages/exports).
    std::vector<std::filesystem::path> side_files() const;

private:
    std::filesystem::path dir_;
    json config_;
    std::vector<std::unique_ptr<SafetensorsFile>> files_;
    std::map<std::string, TensorRef> tensors_;
    std::vector<std::string> names_;
};

}  // namespace vlmq::io
