#include "model/fastvlm.h"

#include <algorithm>
#include <chrono>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "image/preprocess.h"
#include "model/fastvlm_tensors.h"
#include "model/qwen2_generate.h"
#include "model/qwen2_inputs.h"
#include "text/prompt.h"

namespace vlmq::model {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::filesystem::path tokenizer_path(const package::WeightSource& ws) {
    const auto p = ws.dir() / "tokenizer.json";
    if (!std::filesystem::exists(p)) fail("{}: missing tokenizer.json (expected beside config.json)", ws.dir().string());
    return p;
}

}  // namespace

FastVLM::FastVLM(const std::filesystem::path& path, const package::VerifyOptions& verify)
    : weights_(package::open_weights(path, verify)), tokenizer_(text::Tokenizer::load(tokenizer_path(*weights_))) {
    const FastVlmConfig cfg = check_model(*weights_);
    vision_ = std::make_unique<VisionTower>(*weights_, cfg.vision);
    projector_ = std::make_unique<Projector>(*weights_);
    llm_ = std::make_unique<Qwen2>(*weights_, cfg.llm);
    vocab_limit_ = std::min<int64_t>(llm_->vocab(), int64_t(tokenizer_.vocab_size()));
    eos_ids_ = llm_->config().eos_token_ids;
    if (auto im_end = tokenizer_.token_id("<|im_end|>"))
        if (std::find(eos_ids_.begin(), eos_ids_.end(), *im_end) == eos_ids_.end()) eos_ids_.push_back(*im_end);
}

FastVLM::~FastVLM() = default;

int FastVLM::image_size() const { return vision_->config().image_size; }
int64_t FastVLM::image_tokens() const { return vision_->config().tokens(); }

std::vector<float> FastVLM::preprocess(const image::Image& img) const { return image::preprocess(img, image_size()); }

std::vector<int64_t> FastVLM::tokenize_question(std::string_view user_message) const {
    return tokenize_prompt(text::qwen2_prompt(user_message, true));
}

std::vector<int64_t> FastVLM::tokenize_prompt(std::string_view templated_prompt) const {
    return text::tokenize_with_image(tokenizer_, templated_prompt);
}

std::vector<float> FastVLM::encode_image(const Compute& c, const float* pixels,
                                         const ForwardHooks* hooks) const {
    const std::vector<float> features = vision_->forward(c, pixels, hooks);
    return projector_->forward(c, features.data(), image_tokens(), hooks);
}

std::vector<float> FastVLM::inputs_embeds(const Compute& c, std::span<const int64_t> prompt_ids,
                                          const float* image_features) const {
    return build_inputs_embeds(c, *llm_, prompt_ids, image_features, image_tokens());
}

std::vector<float> FastVLM::prefill(const Compute& c, KvCache& cache, std::span<const int64_t> prompt_ids,
                                    const float* image_features, const ForwardHooks* hooks) const {
    if (cache.length() != 0) fail("prefill needs an empty KV cache");
    const std::vector<float> embeds = inputs_embeds(c, prompt_ids, image_features);
    const int64_t rows = int64_t(embeds.size()) / hidden();
    return llm_->forward(c, cache, embeds.data(), rows, rows - 1, hooks);
}

GenerateResult FastVLM::generate(const Compute& c, const float* pixels, std::span<const int64_t> prompt_ids,
                                 const GenerateOptions& opts) const {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<float> features = encode_image(c, pixels);
    const double encode_ms = ms_since(t0);
    GenerateResult r = generate_from_features(c, features.data(), prompt_ids, opts);
    r.timings.image_encode_ms = encode_ms;
    return r;
}

GenerateResult FastVLM::generate_from_features(const Compute& c, const float* image_features,
                                               std::span<const int64_t> prompt_ids,
                                               const GenerateOptions& opts) const {
    KvCache cache = new_cache();
    return generate_into(c, cache, image_features, prompt_ids, opts, nullptr);
}

GenerateResult FastVLM::generate_into(const Compute& c, KvCache& cache, const float* image_features,
                                      std::span<const int64_t> prompt_ids, const GenerateOptions& opts,
                                      std::vector<float>* step_logits) const {
    DecodeOptions d;
    d.max_new_tokens = opts.max_new_tokens;
    d.sampling = {opts.temperature, opts.top_p, opts.seed};
    d.sampling.validate();
    d.eos_ids = eos_ids_;
    d.vocab_limit = vocab_limit_;
    d.step_logits = step_logits;

    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<float> embeds = inputs_embeds(c, prompt_ids, image_features);
    const double embed_ms = ms_since(t0);
    GenerateResult r;
    r.prompt_tokens = int64_t(embeds.size()) / hidden();
    const DecodeResult out = generate_tokens(c, *llm_, cache, embeds.data(), r.prompt_tokens, d);
    r.token_ids = out.ids;
    r.hit_eos = out.hit_eos;
    r.text = tokenizer_.decode(r.token_ids, true);
    r.timings.prefill_ms = embed_ms + out.prefill_ms;
    r.timings.decode_ms = out.decode_ms;
    r.timings.decode_steps = std::max<int64_t>(0, int64_t(out.ids.size()) - 1);
    return r;
}

ScoredGeneration FastVLM::generate_scored(const Compute& c, const float* image_features,
                                          std::span<const int64_t> prompt_ids, const GenerateOptions& opts,
                                          const std::vector<int32_t>* answer_ids) const {
    ScoredGeneration out;
    std::vector<float> steps;
    KvCache cache = new_cache();
    out.generation = generate_into(c, cache, image_features, prompt_ids, opts, &steps);
    const std::vector<int32_t>& generated = out.generation.token_ids;
    std::vector<int32_t> scored = answer_ids ? *answer_ids : generated;
    if (!scored.empty() && std::find(eos_ids_.begin(), eos_ids_.end(), scored.back()) != eos_ids_.end())
        scored.pop_back();
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t rows = int64_t(scored.size()) + 1;
    if (generated.empty()) {  // nothing generated (max_new_tokens 0): no step to share
        out.logits = answer_logits_from_features(c, image_features, prompt_ids, scored);
        out.forced_positions = rows;
        out.forced_ms = ms_since(t0);
        return out;
    }
    // Step k's logits are the teacher-forced row k while the tokens before it agree.
    int64_t same = 0;
    while (same < int64_t(std::min(generated.size(), scored.size())) && generated[size_t(same)] == scored[size_t(same)])
        ++same;
    const int64_t shared = std::min({same + 1, int64_t(generated.size()), rows});
    out.logits.assign(steps.begin(), steps.begin() + shared * vocab_limit_);
    if (shared < rows) {
        // The cache holds the prompt and the generated tokens; keep the prompt and the scored[0, shared - 1)
        // prefix they share, then run the rest of the scored answer.
        cache.truncate(out.generation.prompt_tokens + shared - 1);
        const std::span<const int32_t> rest(scored.data() + shared - 1, size_t(rows - shared));
        std::vector<float> embed(rest.size() * size_t(hidden()));
        llm_->embed(c, rest, embed.data());
        const std::vector<float> logits = llm_->forward(c, cache, embed.data(), int64_t(rest.size()), 0);
        const int64_t V = llm_->vocab();
        for (size_t r = 0; r < rest.size(); ++r)
            out.logits.insert(out.logits.end(), logits.begin() + int64_t(r) * V,
                              logits.begin() + int64_t(r) * V + vocab_limit_);
        out.forced_positions = int64_t(rest.size());
    }
    out.forced_ms = ms_since(t0);
    return out;
}

bool FastVLM::reads_for_image(std::string_view name) {
    return name.starts_with(arch::fastvlm::kVisionTower) || name.starts_with(arch::fastvlm::kProjector);
}

std::vector<float> FastVLM::answer_logits(const Compute& c, const float* pixels,
                                          std::span<const int64_t> prompt_ids, std::span<const int32_t> answer_ids,
                                          const ForwardHooks* hooks) const {
    const std::vector<float> features = encode_image(c, pixels, hooks);
    return answer_logits_from_features(c, features.data(), prompt_ids, answer_ids, hooks);
}

std::vector<float> FastVLM::answer_logits_from_features(const Compute& c, const float* image_features,
                                                        std::span<const int64_t> prompt_ids,
                                                        std::span<const int32_t> answer_ids,
                                                        const ForwardHooks* hooks) const {
    std::vector<int64_t> ids(prompt_ids.begin(), prompt_ids.end());
    ids.insert(ids.end(), answer_ids.begin(), answer_ids.end());
    const std::vector<float> embeds = inputs_embeds(c, ids, image_features);
    const int64_t rows = int64_t(embeds.size()) / hidden();
    const int64_t first = rows - int64_t(answer_ids.size()) - 1;  // last prompt position
    KvCache cache = new_cache();
    std::vector<float> logits = llm_->forward(c, cache, embeds.data(), rows, first, hooks);
    const int64_t V = llm_->vocab(), n = rows - first;
    if (vocab_limit_ < V) {
        for (int64_t r = 1; r < n; ++r)
            std::copy_n(logits.begin() + r * V, vocab_limit_, logits.begin() + r * vocab_limit_);
        logits.resize(size_t(n * vocab_limit_));
    }
    return logits;
}

std::vector<float> FastVLM::forward(const Compute& c, const float* pixels,
                                    std::span<const int64_t> prompt_ids, const ForwardHooks* hooks) const {
    const std::vector<float> features = encode_image(c, pixels, hooks);
    const std::vector<float> embeds = inputs_embeds(c, prompt_ids, features.data());
    const int64_t rows = int64_t(embeds.size()) / hidden();
    KvCache cache = new_cache();
    return llm_->forward(c, cache, embeds.data(), rows, 0, hooks);
}

}  // namespace vlmq::model
