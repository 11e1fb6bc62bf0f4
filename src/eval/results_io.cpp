#include "eval/results_io.h"

#include "core/error.h"
#include "core/fs_util.h"
#include "core/staging.h"
#include "eval/jsonl.h"

namespace vlmq::eval {

namespace {

void add(Predictions& out, int64_t id, std::string answer, const std::string& where) {
    if (!out.emplace(id, std::move(answer)).second) fail("{}: duplicate question_id {}", where, id);
}

std::string answer_of(const json& obj, const std::string& where, bool allow_text) {
    if (obj.contains("answer")) return json_string(obj, "answer", where);
    if (allow_text && obj.contains("text")) return json_string(obj, "text", where);
    fail("{}: missing field '{}'", where, allow_text ? "text' or 'answer" : "answer");
}

}  // namespace

Predictions read_predictions(const std::filesystem::path& path) {
    const std::string text = read_text_file(path);
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) fail("{}: empty results file", path.string());
    Predictions out;
    if (text[first] == '[') {
        const json doc = parse_json(text, path.string());
        for (size_t i = 0; i < doc.size(); ++i) {
            const std::string where = fmt::format("{}: entry {}", path.string(), i);
            if (!doc[i].is_object()) fail("{}: expected a JSON object", where);
            const int64_t id = question_id_field(doc[i], where);
            add(out, id, answer_of(doc[i], where, false), where);
        }
    } else {
        read_jsonl(path, [&](const json& obj, const std::string& where) {
            const int64_t id = question_id_field(obj, where);
            add(out, id, answer_of(obj, where, true), where);
        });
    }
    return out;
}

std::string render_vqa_results(const Predictions& predictions) {
    std::string text = "[";
    for (const auto& [id, answer] : predictions) {
        text += text.size() == 1 ? "\n" : ",\n";
        text += dump_line(ordered_json{{"question_id", id}, {"answer", answer}});
    }
    text += "\n]\n";
    return text;
}

OutputKind vqa_results_output_kind() {
    return file_kind("a VQAv2 results file", [](const std::string& text) {
        const json j = parse_json(text, "results");
        if (!j.is_array()) return false;
        Predictions preds;
        for (const json& e : j) {
            if (!e.is_object() || e.size() != 2 || !e.contains("question_id") || !e.contains("answer") ||
                !e["question_id"].is_number_integer() || !e["answer"].is_string())
                return false;
            preds[e["question_id"].get<int64_t>()] = e["answer"].get<std::string>();
        }
        return render_vqa_results(preds) == text;
    });
}

void write_vqa_results(const std::filesystem::path& path, const Predictions& predictions, bool force) {
    StagedOutput staged(path, vqa_results_output_kind(), force);
    write_file_atomic(staged.path(), render_vqa_results(predictions));
    staged.commit();
}

void write_llava_answers(const std::filesystem::path& path, const VqaDataset& dataset,
                         const Predictions& predictions, std::string_view model_id) {
    std::string text;
    for (const VqaSample& s : dataset.samples) {
        const auto it = predictions.find(s.question_id);
        if (it == predictions.end())
            fail("{}: no answer for question_id {} of dataset '{}'", path.string(), s.question_id, dataset.name);
        text += dump_line(ordered_json{{"question_id", s.question_id},
                                       {"prompt", s.question},
                                       {"text", it->second},
                                       {"model_id", std::string(model_id)},
                                       {"metadata", ordered_json::object()}});
        text += '\n';
    }
    write_file_atomic(path, text);
}

}  // namespace vlmq::eval
