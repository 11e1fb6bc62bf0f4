#pragma once
// The autoregressive loop over a Qwen2 decoder: one prefill of the prompt's inputs_embeds, then one cached
// decode step per generated token, until an end-of-sequence id or max_new_tokens.
#include <cstdint>
#include <vector>

#include "core/compute.h"
#include "model/kv_cache.h"
#include "model/qwen2.h"
#include "model/sampling.h"

namespace vlmq::model {

struct DecodeOptions {
    int max_new_tokens = 256;
    SamplingOptions sampling;
    std::vector<int32_t> eos_ids;  // generation stops after emitting one of these (it is kept in the output)
    int64_t vocab_limit = 0;       // ids >= this are never produced (0 = the model's vocab)
    // When set, the logits of each step (the first vocab_limit columns; row k chose ids[k]) are appended here.
    std::vector<float>* step_logits = nullptr;
};

struct DecodeResult {
    std::vector<int32_t> ids;  // generated ids, including the final eos id when one was reached
    bool hit_eos = false;
    double prefill_ms = 0.0;  // prompt forward, up to the first token's logits
    double decode_ms = 0.0;   // all later steps (sampling included)
};

// Appends the prompt (inputs_embeds [rows, hidden]) and the generated tokens to `cache`.
DecodeResult generate_tokens(const Compute& c, const Qwen2& llm, KvCache& cache, const float* inputs_embeds,
                             int64_t rows, const DecodeOptions& opts);

}  // namespace vlmq::model
