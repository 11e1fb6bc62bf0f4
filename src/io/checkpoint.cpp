#include "io/checkpoint.h"

#include "core/error.h"

namespace vlmq::io {

namespace fs = std::filesystem;

Checkpoint::Checkpoint(const fs::path& dir) : dir_(dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail("{}: not a directory (expected a checkpoint directory with config.json)", dir.string());
    const fs::path config_path = dir / "config.json";
    if (!fs::exists(config_path)) fail("{}: missing config.json", dir.string());
    config_ = read_json_file(config_path);
    if (!config_.is_object()) fail("{}: must be a JSON object", config_path.string());

    const fs::path single = dir / "model.safetensors";
    const fs::path index = dir / "model.safetensors.index.json";
    std::map<std::string, std::string> weight_map;
    if (fs::exists(index)) {
        const json idx = read_json_file(index);
        const json& wm = json_field(idx, "weight_map", index.string());
        if (!wm.is_object()) fail("{}: 'weight_map' must be an object", index.string());
        std::map<std::string, size_t> shard_ids;
        for (auto it = wm.begin(); it != wm.end(); ++it) {
            if (!it->is_string()) fail("{}: weight_map['{}'] must be a file name", index.string(), it.key());
            const std::string shard = it->get<std::string>();
            if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
                fail("{}: weight_map['{}'] names '{}', which is outside the directory", index.string(), it.key(), shard);
            weight_map[it.key()] = shard;
            if (!shard_ids.count(shard)) {
                if (!fs::exists(dir / shard)) fail("{}: shard '{}' listed in the index is missing", index.string(), shard);
                shard_ids[shard] = files_.size();
                files_.push_back(std::make_unique<SafetensorsFile>(dir / shard));
            }
        }
    } else if (fs::exists(single)) {
        files_.push_back(std::make_unique<SafetensorsFile>(single));
    } else {
        fail("{}: no model.safetensors or model.safetensors.index.json", dir.string());
    }

    for (const auto& f : files_) {
        for (const auto& t : f->tensors()) {
            if (!weight_map.empty()) {
                auto it = weight_map.find(t.name);
                if (it == weight_map.end())
                    fail("{}: tensor '{}' is not listed in model.safetensors.index.json", f->path().string(), t.name);
                if (it->second != f->path().filename().string())
                    fail("{}: tensor '{}' found in {} but the index places it in {}", dir.string(), t.name,
                         f->path().filename().string(), it->second);
            }
            if (!tensors_.emplace(t.name, TensorRef{f.get(), &t}).second)
                fail("{}: tensor '{}' appears in more than one shard", dir.string(), t.name);
        }
    }
    for (const auto& [name, shard] : weight_map)
        if (!tensors_.count(name)) fail("{}: index lists tensor '{}' but shard {} lacks it", dir.string(), name, shard);
    for (const auto& [name, ref] : tensors_) names_.push_back(name);
}

const TensorRef* Checkpoint::find(const std::string& name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

const TensorRef& Checkpoint::at(const std::string& name) const {
    const TensorRef* r = find(name);
    if (!r) fail("{}: missing tensor '{}'", dir_.string(), name);
    return *r;
}

uint64_t Checkpoint::total_tensor_bytes() const {
    uint64_t n = 0;
    for (const auto& [name, ref] : tensors_) n += ref.info->nbytes();
    return n;
}

std::vector<fs::path> Checkpoint::side_files() const {
    static const char* const kNames[] = {"config.json", "generation_config.json", "tokenizer.json",
                                         "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                                         "vocab.json", "merges.txt", "preprocessor_config.json",
                                         "processor_config.json"};
    std::vector<fs::path> out;
    for (const char* n : kNames)
        if (fs::exists(dir_ / n)) out.push_back(dir_ / n);
    return out;
}

}  // namespace vlmq::io
