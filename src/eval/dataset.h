#pragma once
// VQA datasets in the layouts docs/eval.md describes: LLaVA question jsonl, VQAv2 questions/annotations
// JSON (as a directory or as explicit files), and COCO-QA text folders. One entry point: load_dataset().
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace vlmq::eval {

enum class DatasetFormat { auto_detect, llava, vqav2, cocoqa };

std::string_view dataset_format_name(DatasetFormat f);
// Accepts "auto", "llava", "vqav2", "cocoqa".
DatasetFormat parse_dataset_format(std::string_view name, std::string_view where);

struct VqaSample {
    int64_t question_id = 0;
    int64_t image_id = 0;
    std::filesystem::path image;  // empty when no image folder/pattern is known
    std::string question;         // LLaVA's short-answer prompt suffix removed
    std::vector<std::string> answers;  // 10 for VQAv2, 1 for single-answer sets, empty when unlabeled
    std::string question_type, answer_type;  // empty when the source has none
};

struct VqaDataset {
    std::string name;
    DatasetFormat format = DatasetFormat::auto_detect;  // the format it was read from
    std::vector<VqaSample> samples;
    bool has_answers = false;  // then every sample has at least one answer
};

struct DatasetSpec {
    // A directory (VQAv2 layout, LLaVA layout or COCO-QA folder), a questions .jsonl, or a VQAv2
    // questions/annotations .json. May be empty when `questions`/`annotations` are given.
    std::filesystem::path path;
    std::filesystem::path questions;    // VQAv2 questions .json or LLaVA .jsonl (overrides the one in `path`)
    std::filesystem::path annotations;  // VQAv2 annotations .json or LLaVA answers .jsonl
    std::filesystem::path images;       // image folder (default: per format, see docs/eval.md)
    // File name of an image inside `images`: placeholders {image_id}, {question_id}, {data_subtype},
    // and zero-padded {image_id:012d} / {question_id:05d}. Empty = the format's default.
    std::string image_pattern;
    DatasetFormat format = DatasetFormat::auto_detect;
    bool require_answers = false;    // fail when the set is unlabeled
    bool require_questions = true;   // false: a VQAv2 annotations file alone is enough (scoring)
    bool check_images = true;        // fail when an image file is missing or cannot be located
    // With check_images: an image path must resolve (symlinks, "..", absolute paths) inside the image folder
    // unless this is set (--allow-outside-data).
    bool allow_outside_data = false;
};

VqaDataset load_dataset(const DatasetSpec& spec);

// Expands an image pattern; fails on an unknown or malformed placeholder, naming `where`.
std::string expand_image_pattern(std::string_view pattern, int64_t image_id, int64_t question_id,
                                 std::string_view data_subtype, std::string_view where);

// Removes LLaVA's "\nAnswer the question using a single word or phrase." suffix if present.
std::string strip_prompt_suffix(std::string_view question);

// Deterministic subset: a splitmix64-seeded shuffle picks n samples, which keep their original order.
// n >= size returns every sample. The same (dataset, n, seed) gives the same subset on every platform.
VqaDataset select_samples(const VqaDataset& dataset, size_t n, uint64_t seed);

}  // namespace vlmq::eval
