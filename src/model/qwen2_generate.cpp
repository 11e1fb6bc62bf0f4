#include "model/qwen2_generate.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace vlmq::model {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

DecodeResult generate_tokens(const Compute& c, const Qwen2& llm, KvCache& cache, const float* inputs_embeds,
                             int64_t rows, const DecodeOptions& opts) {
    if (opts.max_new_tokens < 0) fail("--max-new-tokens must be >= 0, got {}", opts.max_new_tokens);
    const int64_t limit = opts.vocab_limit > 0 ? std::min(opts.vocab_limit, llm.vocab()) : llm.vocab();
    Sampler sampler(opts.sampling);
    DecodeResult r;
    if (opts.max_new_tokens == 0) return r;
    // Fail before any work when the answer could not fit (rather than after a long prefill).
    cache.reserve(cache.length() + rows);

    auto t0 = std::chrono::steady_clock::now();
    std::vector<float> logits = llm.forward(c, cache, inputs_embeds, rows, rows - 1);
    auto record = [&] {
        if (opts.step_logits) opts.step_logits->insert(opts.step_logits->end(), logits.begin(), logits.begin() + limit);
    };
    record();
    int32_t next = sampler.next(logits.data(), limit);
    r.prefill_ms = ms_since(t0);

    t0 = std::chrono::steady_clock::now();
    std::vector<float> embed(static_cast<size_t>(llm.hidden()));
    for (;;) {
        r.ids.push_back(next);
        if (std::find(opts.eos_ids.begin(), opts.eos_ids.end(), next) != opts.eos_ids.end()) {
            r.hit_eos = true;
            break;
        }
        if (int64_t(r.ids.size()) >= opts.max_new_tokens) break;
        if (cache.length() >= cache.max_positions()) break;  // context full: stop as if at max_new_tokens
        llm.embed(c, std::span<const int32_t>(&next, 1), embed.data());
        logits = llm.forward(c, cache, embed.data(), 1, 0);
        record();
        next = sampler.next(logits.data(), limit);
    }
    r.decode_ms = ms_since(t0);
    return r;
}

}  // namespace vlmq::model
