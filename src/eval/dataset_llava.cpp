// LLaVA-style question jsonl: {"question_id", "image", "text", ["answer"|"answers"], ["image_id"],
// ["question_type"], ["answer_type"]} per line, plus an optional answers jsonl {question_id, answer|answers}.
#include <unordered_map>

#include "core/error.h"
#include "eval/dataset_readers.h"
#include "eval/jsonl.h"

namespace vlmq::eval::detail {

namespace {

void set_types(VqaSample& s, const json& obj, const std::string& where) {
    if (auto qt = optional_string(obj, "question_type", where); !qt.empty()) s.question_type = qt;
    if (auto at = optional_string(obj, "answer_type", where); !at.empty()) s.answer_type = at;
}

}  // namespace

VqaDataset read_llava(const fs::path& questions, const fs::path& answers, const fs::path& image_folder) {
    VqaDataset ds;
    ds.format = DatasetFormat::llava;
    std::unordered_map<int64_t, size_t> index;  // question_id -> sample
    // Without an "image_id" field, images are numbered by first appearance.
    std::unordered_map<std::string, int64_t> image_ids;

    if (!questions.empty()) {
        read_jsonl(questions, [&](const json& obj, const std::string& where) {
            VqaSample s;
            s.question_id = question_id_field(obj, where);
            if (!index.emplace(s.question_id, ds.samples.size()).second)
                fail("{}: duplicate question_id {}", where, s.question_id);
            const std::string image = json_string(obj, "image", where);
            s.image = (image_folder / image).lexically_normal();
            s.image_id = obj.contains("image_id") ? json_int(obj, "image_id", where)
                                                  : image_ids.emplace(image, int64_t(image_ids.size())).first->second;
            s.question = strip_prompt_suffix(json_string(obj, obj.contains("text") ? "text" : "question", where));
            s.answers = answers_field(obj, where);
            set_types(s, obj, where);
            ds.samples.push_back(std::move(s));
        });
    }
    if (!answers.empty()) {
        read_jsonl(answers, [&](const json& obj, const std::string& where) {
            const int64_t id = question_id_field(obj, where);
            std::vector<std::string> list = answers_field(obj, where);
            if (list.empty()) fail("{}: no 'answer' or 'answers' field", where);
            const auto it = index.find(id);
            VqaSample* s = nullptr;
            if (it != index.end()) {
                s = &ds.samples[it->second];
                if (!s->answers.empty()) fail("{}: question_id {} already has an answer", where, id);
            } else if (!questions.empty()) {
                fail("{}: answer for question_id {}, which is not in {}", where, id, questions.string());
            } else {
                index.emplace(id, ds.samples.size());
                ds.samples.push_back({});
                s = &ds.samples.back();
                s->question_id = id;
            }
            s->answers = std::move(list);
            set_types(*s, obj, where);
        });
    }
    return ds;
}

}  // namespace vlmq::eval::detail
