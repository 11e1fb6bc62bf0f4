// vlmq score: scores an existing results file against VQA annotations without running a model.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "core/error.h"
#include "core/json_util.h"
#include "eval/dataset.h"
#include "eval/results_io.h"
#include "eval/score_report.h"
#include "eval/vqa_score.h"

namespace vlmq::cli {

namespace {

struct ScoreOptions {
    std::string results, annotations, questions;
    std::string normalizer = "official";
    std::string metric = "auto";
    bool json = false;
};

void run_score(const ScoreOptions& o) {
    namespace fs = std::filesystem;
    eval::DatasetSpec spec;
    std::error_code ec;
    if (fs::is_directory(o.annotations, ec))
        spec.path = o.annotations;
    else
        spec.annotations = o.annotations;
    spec.questions = o.questions;
    spec.require_answers = true;
    spec.require_questions = false;
    spec.check_images = false;
    const eval::VqaDataset dataset = eval::load_dataset(spec);
    const eval::Predictions predictions = eval::read_predictions(o.results);
    const auto normalizer = eval::parse_normalizer(o.normalizer, "--normalizer");
    const auto metric =
        o.metric == "auto" ? eval::default_metric(dataset) : eval::parse_metric(o.metric, "--metric");
    const auto report = eval::score_dataset(dataset, predictions, metric, normalizer, o.results);
    if (o.json)
        fmt::print("{}", json_dump(eval::report_json(report)));
    else
        fmt::print("{}", eval::report_text(report));
}

}  // namespace

void add_score_command(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<ScoreOptions>();
    auto* cmd = app.add_subcommand("score", "Score a results file against VQA annotations (no model is run)");
    cmd->add_option("--results", opts->results,
                    "Answers: VQAv2 results JSON [{question_id, answer}], LLaVA answers jsonl {question_id, "
                    "text} or jsonl {question_id, answer}")
        ->required();
    cmd->add_option("--annotations", opts->annotations,
                    "Ground truth: VQAv2 annotations .json, an answers .jsonl {question_id, answer}, or a "
                    "dataset folder (VQAv2, LLaVA or COCO-QA layout)")
        ->required();
    cmd->add_option("--questions", opts->questions, "Questions file (VQAv2 .json or LLaVA .jsonl); checks the ids");
    cmd->add_option("--normalizer", opts->normalizer,
                    "Answer normalization: official (vqaEval.py), evalai (LLaVA/lmms-eval) or none")
        ->check(CLI::IsMember({"official", "evalai", "none"}))
        ->capture_default_str();
    cmd->add_option("--metric", opts->metric, "vqa (10-answer accuracy), exact (exact match) or auto "
                                              "(exact for COCO-QA, vqa otherwise)")
        ->check(CLI::IsMember({"auto", "vqa", "exact"}))
        ->capture_default_str();
    cmd->add_flag("--json", opts->json, "Print the official JSON layout (overall, perQuestionType, perAnswerType, "
                                        "evalQA) instead of a table");
    cmd->callback([opts] { run_score(*opts); });
}

}  // namespace vlmq::cli
