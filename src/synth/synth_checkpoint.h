#pragma once
// Writes a full-size random checkpoint directory (config.json, tokenizer files, model.safetensors or
// shards + index) with the exact tensor names, shapes and dtypes of a FastVLM preset.
#include <filesystem>

#include "core/thread_pool.h"
#include "synth/fastvlm_spec.h"

namespace vlmq::synth {

struct SynthResult {
    int64_t tensors = 0;
    int64_t parameters = 0;  // elements of floating-point tensors
    uint64_t bytes = 0;      // total size of the safetensors files
    int shards = 0;
};

// Output is staged and moved into place; `max_shard_bytes` splits large checkpoints like HF does. An existing
// `out` is replaced only when it is a checkpoint vlmq wrote (io::checkpoint_output_kind, or empty), or with `force`.
SynthResult write_synthetic_checkpoint(const FastVlmSpec& spec, const std::filesystem::path& out, uint64_t seed,
                                       ThreadPool* pool, bool progress, uint64_t max_shard_bytes = 5'000'000'000ull,
                                       bool force = false);

}  // namespace vlmq::synth
