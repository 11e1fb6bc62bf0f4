#pragma once
// The tensors a FastVLM checkpoint holds, as its config implies them (fastvlm-architecture.md §3), and the check
// every command runs on a model before any work: config, then every tensor the forward pass reads, by name,
// shape and dtype. `run` and `quantize` thus reject the same checkpoints, with the same one-line messages.
#include <cstdint>
#include <string>
#include <vector>

#include "model/fastvlm_config.h"
#include "package/weights.h"

namespace vlmq::model {

struct ModelTensor {
    std::string name;  // full checkpoint name
    std::vector<int64_t> shape;
    bool counter = false;   // an int64 BatchNorm num_batches_tracked scalar (stored, never read)
    bool optional = false;  // may be absent: lm_head.weight with tie_word_embeddings
};

// Every tensor the forward pass reads, in the reference module order (vision tower, projector, decoder). With
// `all_stored`, also those a released checkpoint holds that the forward pass skips (vision_tensors).
std::vector<ModelTensor> fastvlm_tensors(const FastVlmConfig& cfg, bool all_stored = false);

// Which tensors a command needs: all of them, or those of the projector and decoder (an LLM-only export).
enum class ModelParts { All, WithoutVision };

// Fails with "<dir>: missing tensor 'NAME' (expected shape [..])", "<dir>: tensor 'NAME' has shape [..], expected
// [..]" or "<dir>: tensor 'NAME' has dtype D, expected ..." for the first tensor of fastvlm_tensors(cfg) (of
// `parts`) that the weights do not hold as the forward pass reads it.
void check_tensors(const package::WeightSource& ws, const FastVlmConfig& cfg, ModelParts parts = ModelParts::All);

// The whole check: FastVlmConfig::from_json on <dir>/config.json (always the whole config), then check_tensors.
FastVlmConfig check_model(const package::WeightSource& ws, ModelParts parts = ModelParts::All);

}  // namespace vlmq::model
