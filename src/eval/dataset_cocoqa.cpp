// COCO-QA (Ren et al. 2015): four line-aligned files per split. A question's id is its 1-based line
// number; types.txt codes 0-3 become the answer type (and question type) object/number/color/location.
#include <array>
#include <charconv>

#include "core/error.h"
#include "core/fs_util.h"
#include "eval/dataset_readers.h"

namespace vlmq::eval::detail {

namespace {

constexpr std::array<std::string_view, 4> kTypeNames = {"object", "number", "color", "location"};

std::string trim(std::string_view s) {
    const size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    const size_t e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

// Lines of a text file, '\r' and surrounding blanks removed; a final newline does not add a line.
std::vector<std::string> read_lines(const fs::path& path) {
    const std::string text = read_text_file(path);
    std::vector<std::string> lines;
    size_t begin = 0;
    while (begin < text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        lines.push_back(trim(std::string_view(text).substr(begin, end - begin)));
        begin = end + 1;
    }
    return lines;
}

int64_t parse_int(const std::string& s, const std::string& where, std::string_view what) {
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) fail("{}: bad {} '{}'", where, what, s);
    return v;
}

}  // namespace

VqaDataset read_cocoqa(const fs::path& dir, const fs::path& image_folder, const std::string& image_pattern) {
    const auto questions = read_lines(dir / "questions.txt");
    const auto answers = read_lines(dir / "answers.txt");
    const auto img_ids = read_lines(dir / "img_ids.txt");
    const auto types = read_lines(dir / "types.txt");
    const std::array<std::pair<const char*, const std::vector<std::string>*>, 3> others = {
        {{"answers.txt", &answers}, {"img_ids.txt", &img_ids}, {"types.txt", &types}}};
    for (const auto& [name, lines] : others)
        if (lines->size() != questions.size())
            fail("{}: {} has {} lines but questions.txt has {}", dir.string(), name, lines->size(), questions.size());

    VqaDataset ds;
    ds.format = DatasetFormat::cocoqa;
    ds.samples.reserve(questions.size());
    for (size_t i = 0; i < questions.size(); ++i) {
        const auto where = [&](const char* file) { return fmt::format("{}:{}", (dir / file).string(), i + 1); };
        if (questions[i].empty()) fail("{}: empty question", where("questions.txt"));
        if (answers[i].empty()) fail("{}: empty answer", where("answers.txt"));
        const int64_t type = parse_int(types[i], where("types.txt"), "type");
        if (type < 0 || type >= int64_t(kTypeNames.size()))
            fail("{}: unknown type {} (expected 0 object, 1 number, 2 color, 3 location)", where("types.txt"), type);
        VqaSample s;
        s.question_id = int64_t(i) + 1;
        s.image_id = parse_int(img_ids[i], where("img_ids.txt"), "image id");
        s.question = strip_prompt_suffix(questions[i]);
        s.answers = {answers[i]};
        s.answer_type = s.question_type = std::string(kTypeNames[size_t(type)]);
        if (!image_pattern.empty())
            s.image = (image_folder / expand_image_pattern(image_pattern, s.image_id, s.question_id, "",
                                                           fmt::format("image pattern '{}'", image_pattern)))
                          .lexically_normal();
        ds.samples.push_back(std::move(s));
    }
    return ds;
}

}  // namespace vlmq::eval::detail
