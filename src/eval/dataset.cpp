#include "eval/dataset.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "core/error.h"
#include "eval/dataset_readers.h"

namespace vlmq::eval {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPromptSuffix = "\nAnswer the question using a single word or phrase.";
// The tiny test assets' layout: images/{split}_{k:05d}.png.
constexpr std::string_view kVqaFolderPattern = "{data_subtype}_{image_id:05d}.png";
// The official COCO naming, e.g. COCO_val2014_000000000042.jpg.
constexpr std::string_view kCocoPattern = "COCO_{data_subtype}_{image_id:012d}.jpg";

bool is_dir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

// What error messages call the dataset: the path it came from.
std::string source_of(const DatasetSpec& spec) {
    for (const fs::path* p : {&spec.path, &spec.annotations, &spec.questions})
        if (!p->empty()) return p->string();
    return "dataset";
}

std::string name_of(const DatasetSpec& spec) {
    fs::path p = spec.path.empty() ? (spec.questions.empty() ? spec.annotations : spec.questions) : spec.path;
    p = p.lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    return is_dir(p) ? p.filename().string() : p.stem().string();
}

DatasetFormat detect_format(const DatasetSpec& spec) {
    if (spec.format != DatasetFormat::auto_detect) return spec.format;
    if (spec.path.empty()) {
        const fs::path& f = spec.annotations.empty() ? spec.questions : spec.annotations;
        if (f.empty()) fail("no dataset given (a path, or questions/annotations files)");
        return f.extension() == ".jsonl" ? DatasetFormat::llava : DatasetFormat::vqav2;
    }
    const fs::path& p = spec.path;
    if (is_dir(p)) {
        if (is_file(p / "vqa_questions.json") || is_file(p / "vqa_annotations.json")) return DatasetFormat::vqav2;
        if (is_file(p / "questions.jsonl")) return DatasetFormat::llava;
        if (is_file(p / "questions.txt")) return DatasetFormat::cocoqa;
        fail("{}: not a dataset folder (expected vqa_questions.json, questions.jsonl or questions.txt in it)",
             p.string());
    }
    if (!is_file(p)) fail("{}: no such file or directory", p.string());
    if (p.extension() == ".jsonl") return DatasetFormat::llava;
    if (p.extension() == ".json") return DatasetFormat::vqav2;
    fail("{}: cannot tell the dataset format (expected a folder, a .jsonl or a .json file)", p.string());
}

VqaDataset load_llava(const DatasetSpec& spec, fs::path& images) {
    fs::path questions, answers;
    if (!spec.path.empty()) {
        questions = is_dir(spec.path) ? spec.path / "questions.jsonl" : spec.path;
        const fs::path beside = questions.parent_path() / "answers.jsonl";
        if (is_file(beside) && beside != questions) answers = beside;
    }
    if (!spec.questions.empty()) questions = spec.questions;
    if (!spec.annotations.empty()) answers = spec.annotations;
    if (questions.empty() && spec.require_questions) fail("{}: no questions .jsonl given", source_of(spec));
    images = spec.images.empty() ? questions.parent_path() : spec.images;
    return detail::read_llava(questions, answers, images);
}

VqaDataset load_vqav2(const DatasetSpec& spec, fs::path& images) {
    auto load = [](const fs::path& p) { return detail::JsonDoc{p, read_json_file(p)}; };
    std::optional<detail::JsonDoc> questions, annotations;
    std::string pattern(kCocoPattern);
    if (!spec.path.empty()) {
        if (is_dir(spec.path)) {
            if (is_file(spec.path / "vqa_questions.json")) questions = load(spec.path / "vqa_questions.json");
            if (is_file(spec.path / "vqa_annotations.json")) annotations = load(spec.path / "vqa_annotations.json");
            images = spec.path / "images";
            pattern = kVqaFolderPattern;
        } else {
            auto doc = load(spec.path);
            if (doc.doc.is_object() && doc.doc.contains("annotations"))
                annotations = std::move(doc);
            else
                questions = std::move(doc);
        }
    }
    if (!spec.questions.empty()) questions = load(spec.questions);
    if (!spec.annotations.empty()) annotations = load(spec.annotations);
    if (!questions && (spec.require_questions || !annotations))
        fail("{}: no VQAv2 questions file{}", source_of(spec), annotations ? "" : " or annotations file");
    if (!spec.images.empty()) images = spec.images;
    if (!spec.image_pattern.empty()) pattern = spec.image_pattern;
    return detail::read_vqav2(questions, annotations, images, pattern);
}

VqaDataset load_cocoqa(const DatasetSpec& spec, fs::path& images) {
    if (!is_dir(spec.path)) fail("{}: a COCO-QA dataset is a folder with questions.txt, answers.txt, "
                                 "img_ids.txt and types.txt", source_of(spec));
    images = spec.images.empty() ? spec.path / "images" : spec.images;
    return detail::read_cocoqa(spec.path, images, spec.image_pattern);
}

void check_answers(const VqaDataset& ds, const DatasetSpec& spec) {
    const auto unlabeled = std::count_if(ds.samples.begin(), ds.samples.end(),
                                         [](const VqaSample& s) { return s.answers.empty(); });
    if (unlabeled == 0) return;
    const auto first = std::find_if(ds.samples.begin(), ds.samples.end(),
                                    [](const VqaSample& s) { return s.answers.empty(); });
    if (size_t(unlabeled) < ds.samples.size())
        fail("{}: {} of {} questions have no answer (first: question_id {})", source_of(spec), unlabeled,
             ds.samples.size(), first->question_id);
    if (spec.require_answers)
        fail("{}: the questions have no answers (annotations are needed here)", source_of(spec));
}

bool inside(const fs::path& path, const fs::path& root) {
    const auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    return r == root.end() || (std::next(r) == root.end() && r->empty());  // "root/" ends in an empty element
}

// Every image must resolve (symlinks followed, "..", absolute paths) to a path inside the image folder.
void confine_images(const VqaDataset& ds, const fs::path& folder, const DatasetSpec& spec) {
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(fs::absolute(folder, ec), ec);
    if (ec) fail("{}: image folder '{}': {}", source_of(spec), folder.string(), ec.message());
    std::set<fs::path> seen;
    for (const VqaSample& s : ds.samples) {
        if (s.image.empty() || !seen.insert(s.image).second) continue;
        const fs::path real = fs::weakly_canonical(fs::absolute(s.image, ec), ec);
        if (ec) fail("{}: question_id {}: image '{}': {}", source_of(spec), s.question_id, s.image.string(), ec.message());
        if (!inside(real, root))
            fail("{}: question_id {}: image '{}' resolves to '{}', outside the image folder '{}' (allow with "
                 "--allow-outside-data)", source_of(spec), s.question_id, s.image.string(), real.string(), root.string());
    }
}

void check_images(const VqaDataset& ds, const DatasetSpec& spec) {
    std::set<fs::path> seen;
    size_t missing = 0;
    fs::path first_missing;
    for (const VqaSample& s : ds.samples) {
        if (s.image.empty())
            fail("{}: image files cannot be located: give an image folder and pattern", source_of(spec));
        if (!seen.insert(s.image).second) continue;
        if (!is_file(s.image) && missing++ == 0) first_missing = s.image;
    }
    if (missing > 0)
        fail("{}: {} of {} image files are missing (first: {})", source_of(spec), missing, seen.size(),
             first_missing.string());
}

}  // namespace

std::string_view dataset_format_name(DatasetFormat f) {
    switch (f) {
        case DatasetFormat::auto_detect: return "auto";
        case DatasetFormat::llava: return "llava";
        case DatasetFormat::vqav2: return "vqav2";
        case DatasetFormat::cocoqa: return "cocoqa";
    }
    return "?";
}

DatasetFormat parse_dataset_format(std::string_view name, std::string_view where) {
    for (auto f : {DatasetFormat::auto_detect, DatasetFormat::llava, DatasetFormat::vqav2, DatasetFormat::cocoqa})
        if (name == dataset_format_name(f)) return f;
    fail("{}: unknown dataset format '{}' (expected auto, llava, vqav2 or cocoqa)", where, name);
}

VqaDataset load_dataset(const DatasetSpec& spec) {
    VqaDataset ds;
    fs::path images;
    switch (detect_format(spec)) {
        case DatasetFormat::llava: ds = load_llava(spec, images); break;
        case DatasetFormat::vqav2: ds = load_vqav2(spec, images); break;
        case DatasetFormat::cocoqa: ds = load_cocoqa(spec, images); break;
        case DatasetFormat::auto_detect: break;
    }
    ds.name = name_of(spec);
    if (ds.samples.empty()) fail("{}: no questions", source_of(spec));
    check_answers(ds, spec);
    ds.has_answers = !ds.samples.front().answers.empty();
    if (spec.check_images) {
        if (!spec.allow_outside_data) confine_images(ds, images.empty() ? fs::path(".") : images, spec);
        check_images(ds, spec);
    }
    return ds;
}

std::string expand_image_pattern(std::string_view pattern, int64_t image_id, int64_t question_id,
                                 std::string_view data_subtype, std::string_view where) {
    std::string out;
    size_t i = 0;
    while (i < pattern.size()) {
        const char c = pattern[i];
        if (c == '}') fail("{}: unmatched '}}'", where);
        if (c != '{') {
            out.push_back(c);
            ++i;
            continue;
        }
        const size_t close = pattern.find('}', i);
        if (close == std::string_view::npos) fail("{}: unterminated placeholder", where);
        const std::string_view body = pattern.substr(i + 1, close - i - 1);
        const size_t colon = body.find(':');
        const std::string_view name = body.substr(0, colon);
        const std::string_view spec = colon == std::string_view::npos ? std::string_view() : body.substr(colon + 1);
        i = close + 1;
        if (name == "image_id" || name == "question_id") {
            const int64_t value = name == "image_id" ? image_id : question_id;
            if (spec.empty() || spec == "d") {
                out += std::to_string(value);
                continue;
            }
            const std::string_view digits = spec.substr(1, spec.size() - 2);
            const bool ok = spec.size() >= 3 && spec.size() <= 4 && spec.front() == '0' && spec.back() == 'd' &&
                            std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '0' && d <= '9'; });
            if (!ok) fail("{}: unsupported format '{{{}}}' (use {{{}}} or {{{}:0Nd}})", where, body, name, name);
            out += fmt::format("{:0{}d}", value, std::stoi(std::string(digits)));
        } else if (name == "data_subtype" && spec.empty()) {
            if (data_subtype.empty()) fail("{}: uses {{data_subtype}} but the dataset declares none", where);
            out += data_subtype;
        } else {
            fail("{}: unknown placeholder '{{{}}}' (known: {{image_id}}, {{question_id}}, {{data_subtype}})", where,
                 body);
        }
    }
    return out;
}

std::string strip_prompt_suffix(std::string_view question) {
    if (question.ends_with(kPromptSuffix)) question.remove_suffix(kPromptSuffix.size());
    return std::string(question);
}

VqaDataset select_samples(const VqaDataset& dataset, size_t n, uint64_t seed) {
    const size_t size = dataset.samples.size();
    if (n >= size) return dataset;
    // splitmix64 (Steele, Lea & Flood 2014): fixed arithmetic, so the subset is the same everywhere.
    uint64_t state = seed;
    auto next = [&state] {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    std::vector<size_t> order(size);
    std::iota(order.begin(), order.end(), size_t(0));
    for (size_t i = 0; i < n; ++i) std::swap(order[i], order[i + size_t(next() % uint64_t(size - i))]);
    order.resize(n);
    std::sort(order.begin(), order.end());
    VqaDataset out;
    out.name = dataset.name;
    out.format = dataset.format;
    out.has_answers = dataset.has_answers;
    out.samples.reserve(n);
    for (size_t k : order) out.samples.push_back(dataset.samples[k]);
    return out;
}

}  // namespace vlmq::eval
