// `vlmq run`: answer one question about one image.
#include <sys/resource.h>

#include <fmt/format.h>

#include <memory>

#include "cli_common.h"
#include "cmd_run_input.h"
#include "commands.h"
#include "core/json_util.h"
#include "model/sampling.h"

namespace vlmq::cli {

namespace {

// getrusage's ru_maxrss is KiB on Linux and bytes on macOS.
double peak_rss_mb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
#if defined(__APPLE__)
    return double(ru.ru_maxrss) / (1024.0 * 1024.0);
#else
    return double(ru.ru_maxrss) / 1024.0;
#endif
}

struct RunOptions {
    RunInput input;
    model::GenerateOptions gen;
    bool json = false;
};

void run(const RunOptions& o, const GlobalOptions& global) {
    model::SamplingOptions{o.gen.temperature, o.gen.top_p, o.gen.seed}.validate();
    const image::Image img = o.input.check_and_load_image();
    ComputeContext ctx = make_compute(global);
    const model::FastVLM m(o.input.model, verify_options(global));
    const std::vector<int64_t> ids = o.input.prompt_ids(m);
    const std::vector<float> pixels = m.preprocess(img);
    const model::GenerateResult r = m.generate(ctx.compute, pixels.data(), ids, o.gen);
    if (!o.json) {
        fmt::print("{}\n", r.text);
        return;
    }
    ordered_json j;
    j["text"] = r.text;
    j["token_ids"] = r.token_ids;
    j["prompt_tokens"] = r.prompt_tokens;
    j["image_tokens"] = m.image_tokens();
    j["generated_tokens"] = r.token_ids.size();
    j["stopped_at_eos"] = r.hit_eos;
    j["image_encode_ms"] = r.timings.image_encode_ms;
    j["prefill_ms"] = r.timings.prefill_ms;
    j["decode_ms"] = r.timings.decode_ms;
    j["decode_tokens_per_s"] = r.timings.decode_tokens_per_s();
    j["peak_rss_mb"] = peak_rss_mb();
    j["threads"] = ctx.pool->size();
    j["kernels"] = global.kernels;
    j["activations"] = activations_name(ctx.compute);
    fmt::print("{}\n", j.dump());
}

}  // namespace

void add_run_command(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "Answer a question about an image (generation on CPU)");
    opts->input.add_options(cmd);
    cmd->add_option("--max-new-tokens", opts->gen.max_new_tokens, "Generated tokens at most (default 256)")
        ->check(integer_in(0, kMaxNewTokens));
    cmd->add_option("--temperature", opts->gen.temperature, "Sampling temperature; 0 = greedy (default)")
        ->check(number_in(0, 100));
    cmd->add_option("--top-p", opts->gen.top_p, "Nucleus sampling mass in (0, 1] (default 1)")
        ->check(number_in(0, 1, true));
    cmd->add_option("--seed", opts->gen.seed, "Sampling seed (default 0)")->check(seed_value());
    cmd->add_flag("--json", opts->json, "Print one JSON object with the text, token ids and timings");
    cmd->callback([opts, &global] { run(*opts, global); });
}

}  // namespace vlmq::cli
