#pragma once
// Internal: the per-format readers behind load_dataset() (dataset.cpp decides which one runs).
// Each returns samples with image paths filled in when an image folder is known; load_dataset() then
// checks answers and images the same way for every format.
#include <filesystem>
#include <optional>
#include <string>

#include "core/json_util.h"
#include "eval/dataset.h"

namespace vlmq::eval::detail {

namespace fs = std::filesystem;

// questions: LLaVA questions .jsonl (may be empty when only answers are needed); answers: a jsonl of
// {question_id, answer|answers} (may be empty). Images are `image_folder / record["image"]`.
VqaDataset read_llava(const fs::path& questions, const fs::path& answers, const fs::path& image_folder);

struct JsonDoc {
    fs::path path;
    json doc;
};

// VQAv2 questions and/or annotations (at least one). An empty image_folder leaves images unset.
VqaDataset read_vqav2(const std::optional<JsonDoc>& questions, const std::optional<JsonDoc>& annotations,
                      const fs::path& image_folder, const std::string& image_pattern);

// A COCO-QA folder (questions.txt, answers.txt, img_ids.txt, types.txt). An empty pattern leaves images unset.
VqaDataset read_cocoqa(const fs::path& dir, const fs::path& image_folder, const std::string& image_pattern);

}  // namespace vlmq::eval::detail
