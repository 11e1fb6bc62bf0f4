// VQAv2 official JSON: a questions file {data_subtype, questions: [{image_id, question, question_id}]}
// and an annotations file {annotations: [{question_id, image_id, question_type, answer_type, answers:
// [{answer, ...}]}]}. Sample order follows the questions file (the annotations file without one).
#include <unordered_map>

#include "core/error.h"
#include "eval/dataset_readers.h"
#include "eval/jsonl.h"

namespace vlmq::eval::detail {

namespace {

const json& array_field(const JsonDoc& d, const std::string& key) {
    if (!d.doc.is_object() || !d.doc.contains(key))
        fail("{}: not a VQAv2 {} file (no '{}' array)", d.path.string(), key, key);
    const json& a = d.doc.at(key);
    if (!a.is_array()) fail("{}: field '{}' must be an array", d.path.string(), key);
    return a;
}

std::string data_subtype_of(const std::optional<JsonDoc>& d) {
    if (!d || !d->doc.is_object()) return {};
    return optional_string(d->doc, "data_subtype", d->path.string());
}

}  // namespace

VqaDataset read_vqav2(const std::optional<JsonDoc>& questions, const std::optional<JsonDoc>& annotations,
                      const fs::path& image_folder, const std::string& image_pattern) {
    VqaDataset ds;
    ds.format = DatasetFormat::vqav2;
    std::unordered_map<int64_t, size_t> index;

    auto add_sample = [&](VqaSample s, const std::string& where) {
        if (!index.emplace(s.question_id, ds.samples.size()).second)
            fail("{}: duplicate question_id {}", where, s.question_id);
        ds.samples.push_back(std::move(s));
    };

    if (questions) {
        const json& list = array_field(*questions, "questions");
        for (size_t i = 0; i < list.size(); ++i) {
            const std::string where = fmt::format("{}: questions[{}]", questions->path.string(), i);
            VqaSample s;
            s.question_id = question_id_field(list[i], where);
            s.image_id = json_int(list[i], "image_id", where);
            s.question = strip_prompt_suffix(json_string(list[i], "question", where));
            add_sample(std::move(s), where);
        }
    }
    if (annotations) {
        const json& list = array_field(*annotations, "annotations");
        for (size_t i = 0; i < list.size(); ++i) {
            const std::string where = fmt::format("{}: annotations[{}]", annotations->path.string(), i);
            const json& a = list[i];
            const int64_t id = question_id_field(a, where);
            const int64_t image_id = json_int(a, "image_id", where);
            std::vector<std::string> answers = answers_field(a, where);
            if (answers.empty()) fail("{}: missing field 'answers'", where);
            VqaSample* s = nullptr;
            if (questions) {
                const auto it = index.find(id);
                if (it == index.end())
                    fail("{}: annotation for question_id {}, which is not in {}", where, id, questions->path.string());
                s = &ds.samples[it->second];
                if (!s->answers.empty()) fail("{}: duplicate annotation for question_id {}", where, id);
                if (s->image_id != image_id)
                    fail("{}: image_id {} differs from {} in {}", where, image_id, s->image_id,
                         questions->path.string());
            } else {
                VqaSample fresh;
                fresh.question_id = id;
                fresh.image_id = image_id;
                add_sample(std::move(fresh), where);
                s = &ds.samples.back();
            }
            s->answers = std::move(answers);
            s->question_type = optional_string(a, "question_type", where);
            s->answer_type = optional_string(a, "answer_type", where);
        }
    }

    if (!image_folder.empty()) {
        std::string subtype = data_subtype_of(questions);
        if (subtype.empty()) subtype = data_subtype_of(annotations);
        const std::string where = fmt::format("image pattern '{}'", image_pattern);
        for (VqaSample& s : ds.samples)
            s.image = (image_folder / expand_image_pattern(image_pattern, s.image_id, s.question_id, subtype, where))
                          .lexically_normal();
    }
    return ds;
}

}  // namespace vlmq::eval::detail
