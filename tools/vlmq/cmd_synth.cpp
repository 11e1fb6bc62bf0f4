#include <fmt/format.h>

#include "cli_common.h"
#include "commands.h"
#include "core/json_util.h"
#include "core/progress.h"
#include "io/output_kinds.h"
#include "synth/synth_checkpoint.h"

namespace vlmq::cli {

void add_synth_command(CLI::App& app, GlobalOptions& global) {
    struct Options {
        std::string preset, out;
        uint64_t seed = 0;
        double shard_gb = 5.0;
        bool json = false, force = false;
    };
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand(
        "synth", "Write a full-size random checkpoint with the exact tensor names, shapes and dtypes of a FastVLM "
                 "model (for benchmarks and tests)");
    cmd->add_option("--preset", opt->preset, "fastvlm-0.5b | fastvlm-1.5b | fastvlm-7b | tiny")
        ->required()
        ->check(CLI::IsMember(synth::FastVlmSpec::preset_names()));
    cmd->add_option("--out", opt->out, "Output checkpoint directory")->required();
    cmd->add_option("--seed", opt->seed, "Random seed (same seed, same bytes)")->check(seed_value());
    cmd->add_option("--shard-gb", opt->shard_gb, "Split into shards of at most this many GB")
        ->check(number_in(kMinShardGb, kMaxShardGb));
    cmd->add_flag("--json", opt->json, "Print a JSON summary");
    add_force_flag(cmd, opt->force);
    cmd->callback([opt, &global] {
        check_output(opt->out, io::checkpoint_output_kind(), {}, opt->force);
        ThreadPool pool(global.threads);
        const auto spec = synth::FastVlmSpec::preset_named(opt->preset);
        const auto r = synth::write_synthetic_checkpoint(spec, opt->out, opt->seed, &pool, !opt->json,
                                                         uint64_t(opt->shard_gb * 1e9), opt->force);
        if (opt->json) {
            ordered_json j;
            j["preset"] = opt->preset;
            j["out"] = opt->out;
            j["tensors"] = r.tensors;
            j["parameters"] = r.parameters;
            j["bytes"] = r.bytes;
            j["shards"] = r.shards;
            fmt::print("{}", json_dump(j));
        } else {
            fmt::print("{}: {} tensors, {:.1f} M parameters, {:.1f} MB in {} file(s)\n", opt->out, r.tensors,
                       double(r.parameters) / 1e6, double(r.bytes) / 1e6, r.shards);
        }
    });
}

}  // namespace vlmq::cli
