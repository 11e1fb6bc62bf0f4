#pragma once
// The whole FastVLM pipeline on CPU: image -> FastViT tower -> projector -> spliced into the prompt's
// embeddings -> Qwen2 decoder with a KV cache -> tokens. Loads an original checkpoint directory or a vlmq
// package (package::open_weights) with tokenizer.json beside it; weights stay memory-mapped.
//
// All methods are const and keep per-call state (KV caches) local, so one FastVLM may serve several threads.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/image.h"
#include "core/compute.h"
#include "model/forward_hooks.h"
#include "model/kv_cache.h"
#include "model/projector.h"
#include "model/qwen2.h"
#include "model/vision_tower.h"
#include "package/weights.h"
#include "text/tokenizer.h"

namespace vlmq::model {

struct GenerateOptions {
    int max_new_tokens = 256;
    double temperature = 0.0;  // 0 = greedy
    double top_p = 1.0;
    uint64_t seed = 0;
};

struct GenerateTimings {
    double image_encode_ms = 0.0;  // vision tower + projector (0 when features were given)
    double prefill_ms = 0.0;       // prompt forward up to the first generated token
    double decode_ms = 0.0;        // the remaining tokens
    int64_t decode_steps = 0;      // forward passes in decode_ms (generated tokens - 1, or 0)
    double decode_tokens_per_s() const { return decode_ms > 0 ? double(decode_steps) * 1000.0 / decode_ms : 0.0; }
};

struct GenerateResult {
    std::vector<int32_t> token_ids;  // generated ids, including the final <|im_end|> when it was reached
    std::string text;                // decoded with special tokens skipped
    int64_t prompt_tokens = 0;       // positions prefilled: text tokens + image tokens
    bool hit_eos = false;
    GenerateTimings timings;
};

// A generated answer and the teacher-forced logits of a scored answer, from one prefill (FastVLM::generate_scored).
struct ScoredGeneration {
    GenerateResult generation;
    std::vector<float> logits;      // [scored answer length + 1, vocab_limit()], as answer_logits returns them
    int64_t forced_positions = 0;   // rows of `logits` that needed the extra teacher-forced pass
    double forced_ms = 0.0;         // that pass
};

class FastVLM {
public:
    // `path`: checkpoint directory or .vlmq package directory, holding tokenizer.json; a package is verified first
    // as `verify` says (package/package_verify.h).
    explicit FastVLM(const std::filesystem::path& path, const package::VerifyOptions& verify = {});
    ~FastVLM();
    FastVLM(const FastVLM&) = delete;
    FastVLM& operator=(const FastVLM&) = delete;

    const package::WeightSource& weights() const { return *weights_; }
    const VisionTower& vision() const { return *vision_; }
    const Projector& projector() const { return *projector_; }
    const Qwen2& llm() const { return *llm_; }
    const text::Tokenizer& tokenizer() const { return tokenizer_; }

    int image_size() const;      // pixels are [3, image_size, image_size]
    int64_t image_tokens() const;  // rows of encode_image
    int64_t hidden() const { return llm_->hidden(); }
    // Candidate token ids are [0, vocab_limit): min(embedding rows, len(tokenizer)).
    int64_t vocab_limit() const { return vocab_limit_; }
    // Config eos_token_id(s) and <|im_end|>.
    const std::vector<int32_t>& eos_ids() const { return eos_ids_; }

    // Decodes nothing itself: image::load_image, then pad-to-square + bicubic resize to image_size().
    std::vector<float> preprocess(const image::Image& img) const;
    // The qwen_2 template around `user_message` ("<image>\n" first), tokenized with -200 for the image.
    std::vector<int64_t> tokenize_question(std::string_view user_message) const;
    // A full templated prompt containing at most one "<image>".
    std::vector<int64_t> tokenize_prompt(std::string_view templated_prompt) const;

    // Image features ready for the decoder: projected tokens [image_tokens, hidden]. Taps: vision.*, projected.
    std::vector<float> encode_image(const Compute& c, const float* pixels,
                                    const ForwardHooks* hooks = nullptr) const;
    // Prompt embeddings with the image rows spliced in: [multimodal_length, hidden]. image_features may be null
    // for a text-only prompt.
    std::vector<float> inputs_embeds(const Compute& c, std::span<const int64_t> prompt_ids,
                                     const float* image_features) const;
    KvCache new_cache() const { return KvCache(llm_->config()); }
    // Runs the prompt into `cache` (which must be empty) and returns the next-token logits [vocab].
    std::vector<float> prefill(const Compute& c, KvCache& cache, std::span<const int64_t> prompt_ids,
                               const float* image_features, const ForwardHooks* hooks = nullptr) const;

    GenerateResult generate(const Compute& c, const float* pixels, std::span<const int64_t> prompt_ids,
                            const GenerateOptions& opts) const;
    // Same with precomputed encode_image() output (timings.image_encode_ms stays 0).
    GenerateResult generate_from_features(const Compute& c, const float* image_features,
                                          std::span<const int64_t> prompt_ids, const GenerateOptions& opts) const;

    // Teacher-forced scoring from one prefill over prompt + answer: row i < n of the result holds the logits
    // predicting answer_ids[i], and row n (always present) those after the whole answer, where <|im_end|>
    // should follow. Shape [answer_ids.size() + 1, vocab_limit()]: columns past the tokenizer's length (padding
    // rows of the embedding) are left out, as in the reference's resized LM head.
    std::vector<float> answer_logits(const Compute& c, const float* pixels, std::span<const int64_t> prompt_ids,
                                     std::span<const int32_t> answer_ids, const ForwardHooks* hooks = nullptr) const;
    std::vector<float> answer_logits_from_features(const Compute& c, const float* image_features,
                                                   std::span<const int64_t> prompt_ids,
                                                   std::span<const int32_t> answer_ids,
                                                   const ForwardHooks* hooks = nullptr) const;

    // Greedy generation that also scores an answer, sharing the prompt's prefill: `logits` are what
    // answer_logits_from_features returns for the scored answer, which is `answer_ids` (the generated answer when
    // null) less a final end-of-sequence id. Rows come from the generation's own steps while its tokens equal
    // the scored ones; from the first difference on, the rest of the scored answer runs from the KV cache at that
    // point. The values equal answer_logits' up to float rounding (decode steps instead of one prefill).
    ScoredGeneration generate_scored(const Compute& c, const float* image_features,
                                     std::span<const int64_t> prompt_ids, const GenerateOptions& opts,
                                     const std::vector<int32_t>* answer_ids) const;

    // Whether the vision tower or the projector reads the tensor `name` (what encode_image depends on).
    static bool reads_for_image(std::string_view name);

    // One full forward over the prompt with every tap (vision.*, projected, inputs_embeds, llm.layer.{i},
    // llm.final_norm, logits [L, vocab]); returns the logits.
    std::vector<float> forward(const Compute& c, const float* pixels, std::span<const int64_t> prompt_ids,
                               const ForwardHooks* hooks) const;

private:
    GenerateResult generate_into(const Compute& c, KvCache& cache, const float* image_features,
                                 std::span<const int64_t> prompt_ids, const GenerateOptions& opts,
                                 std::vector<float>* step_logits) const;

    std::unique_ptr<package::WeightSource> weights_;
    std::unique_ptr<VisionTower> vision_;
    std::unique_ptr<Projector> projector_;
    std::unique_ptr<Qwen2> llm_;
    text::Tokenizer tokenizer_;
    int64_t vocab_limit_ = 0;
    std::vector<int32_t> eos_ids_;
};

}  // namespace vlmq::model
