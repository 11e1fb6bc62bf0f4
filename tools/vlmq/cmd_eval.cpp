#include <fmt/format.h>

#include <memory>

#include "cli_common.h"
#include "core/error.h"
#include "dataset_options.h"
#include "eval/prepared.h"
#include "eval/results_io.h"
#include "eval/score_report.h"
#include "eval/vlm_eval.h"
#include "model/fastvlm.h"
#include "quant/quant_config.h"

namespace vlmq::cli {

void add_eval_command(CLI::App& app, GlobalOptions& global) {
    struct Options {
        std::string model, reference, out, metric = "auto", normalizer = "official";
        DatasetOptions data;
        int samples = 0, max_new_tokens = 16;
        uint64_t seed = 0;
        bool json = false, force = false;
    };
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("eval", "Answer VQA questions with a model and score them (VQAv2 accuracy, exact "
                                           "match); with --reference also KLD, top-1 and answer agreement");
    cmd->add_option("--model", opt->model, "Checkpoint directory or .vlmq package")->required();
    opt->data.add(cmd, "--data", "", "Evaluation data");
    cmd->add_option("--samples", opt->samples, "Evaluate a deterministic subset of this many questions")
        ->check(integer_in(1, quant::kMaxSamples));
    cmd->add_option("--seed", opt->seed, "Seed of the subset selection")->check(seed_value());
    cmd->add_option("--metric", opt->metric, "auto | vqa | exact")->check(CLI::IsMember({"auto", "vqa", "exact"}));
    cmd->add_option("--normalizer", opt->normalizer, "official | evalai | none")
        ->check(CLI::IsMember({"official", "evalai", "none"}));
    cmd->add_option("--reference", opt->reference, "Unquantized model to measure fidelity against");
    cmd->add_option("--max-new-tokens", opt->max_new_tokens, "Answer length limit")
        ->check(integer_in(1, kMaxNewTokens));
    cmd->add_option("--out", opt->out, "Write a VQAv2 results file [{question_id, answer}]");
    cmd->add_flag("--json", opt->json, "Print the summary as JSON");
    add_force_flag(cmd, opt->force);
    cmd->callback([opt, &global] {
        if (!opt->data.given()) fail("eval: --data is required");
        if (!opt->out.empty()) {
            std::vector<InputPath> inputs{{"--model", opt->model}, {"--reference", opt->reference}};
            opt->data.add_inputs(inputs);
            check_output(opt->out, eval::vqa_results_output_kind(), inputs, opt->force);
        }
        auto ctx = make_compute(global);
        eval::VqaDataset data = eval::load_dataset(opt->data.spec());
        if (opt->samples > 0) data = eval::select_samples(data, size_t(opt->samples), opt->seed);
        const model::FastVLM model(opt->model, verify_options(global));
        const auto prepared = eval::prepare_samples(model, data, ctx.compute, !opt->json);
        eval::EvalOptions eo;
        eo.max_new_tokens = opt->max_new_tokens;
        eo.progress = !opt->json;
        eval::ModelRun ref_run;
        std::unique_ptr<model::FastVLM> ref_model;
        if (!opt->reference.empty()) {
            ref_model = std::make_unique<model::FastVLM>(opt->reference, verify_options(global));
            eval::EvalOptions ro = eo;
            ro.record_logits = true;
            ro.label = "reference";
            ref_run = eval::run_model(*ref_model, prepared, nullptr, ctx.compute, ro);
        }
        eo.label = "evaluate";
        const eval::ModelRun run =
            eval::run_model(model, prepared, opt->reference.empty() ? nullptr : &ref_run.record, ctx.compute, eo);
        if (!opt->out.empty()) eval::write_vqa_results(opt->out, run.predictions, opt->force);

        ordered_json j;
        j["model"] = opt->model;
        j["samples"] = prepared.size();
        j["activations"] = activations_name(ctx.compute);
        if (data.has_answers) {
            const eval::Metric metric =
                opt->metric == "auto" ? eval::default_metric(data) : eval::parse_metric(opt->metric, "--metric");
            const auto report = eval::score_dataset(data, run.predictions, metric,
                                                    eval::parse_normalizer(opt->normalizer, "--normalizer"));
            j["score"] = eval::report_json(report);
            j["vqa_accuracy"] = run.metrics.vqa;
            j["exact_match"] = run.metrics.exact;
            if (!opt->json) fmt::print("{}", eval::report_text(report));
        }
        if (!opt->reference.empty()) {
            j["fidelity"] = {{"reference", opt->reference},
                             {"kld", run.metrics.kld},
                             {"top1_agreement", run.metrics.top1},
                             {"answer_agreement", run.metrics.agreement}};
            if (!opt->json)
                fmt::print("fidelity vs {}: KLD {:.5f}, top-1 agreement {:.4f}, answer agreement {:.4f}\n", opt->reference,
                           run.metrics.kld, run.metrics.top1, run.metrics.agreement);
        }
        if (opt->json) fmt::print("{}", json_dump(j));
    });
}

}  // namespace vlmq::cli
