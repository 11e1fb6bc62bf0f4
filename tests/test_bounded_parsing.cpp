// Hostile inputs of bounded size cannot crash, hang or exhaust memory (issue 11 items 5-7): deep JSON,
// overflowing numbers, huge safetensors headers, catastrophic regexes, images whose headers promise huge
// pixel counts, special files in place of inputs, dataset paths that leave the data folder, and mapped
// files truncated while in use. Each case ends in one vlmq::Error naming the file/field (or a clean exit 1).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "arch/arch_table.h"
#include "arch/fastvlm_arch.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/input_file.h"
#include "core/json_util.h"
#include "core/pattern.h"
#include "eval/dataset.h"
#include "export/coreml/mlpackage.h"
#include "image/image.h"
#include "io/checkpoint.h"
#include "io/mapped_file.h"
#include "io/output_kinds.h"
#include "io/safetensors.h"
#include "package/writer.h"
#include "pipeline/progressive_report.h"
#include "quant/quant_config.h"
#include "text/tokenizer_json.h"
#include "test_util.h"

// GCC announces AddressSanitizer with __SANITIZE_ADDRESS__, Clang only through __has_feature.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VLMQ_TEST_HAS_ASAN 1
#endif
#endif
#ifndef VLMQ_TEST_HAS_ASAN
#define VLMQ_TEST_HAS_ASAN 0
#endif

using namespace vlmq;
namespace fs = std::filesystem;
using test::error_of;

namespace {

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
std::string nested_objects(size_t depth) {
    std::string s;
    for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
    return s + "1" + std::string(depth, '}');
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A safetensors file image: 8-byte little-endian header length, then the header, then data.
std::string safetensors_bytes(const std::string& header, uint64_t claimed_len = UINT64_MAX) {
    const uint64_t n = claimed_len == UINT64_MAX ? header.size() : claimed_len;
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xff);
    return s + header;
}

std::string safetensors_error(const std::string& file) {
    return error_of([&] { io::parse_safetensors(std::as_bytes(std::span(file.data(), file.size())), "x.safetensors"); });
}

std::string zero_size_entries(size_t n) {
    std::string h = "{";
    for (size_t i = 0; i < n; ++i)
        h += (i ? "," : "") + fmt::format(R"("t{}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", i);
    return h + "}";
}

}  // namespace

// --- 5a. Deep nesting --------------------------------------------------------------------------------------

TEST(BoundedJson, DeepArraysAndObjectsAreRejectedWithTheFileName) {
    for (const std::string& text : {nested_arrays(100000), nested_objects(100000), nested_arrays(kMaxJsonDepth + 1),
                                    nested_objects(kMaxJsonDepth + 1)}) {
        const std::string err = error_of([&] { parse_json(text, "deep.json"); });
        EXPECT_EQ(err, fmt::format("deep.json: invalid JSON: arrays/objects nested deeper than {} levels", kMaxJsonDepth));
    }
    // The limit itself is accepted.
    EXPECT_EQ(error_of([&] { parse_json(nested_arrays(kMaxJsonDepth), "ok.json"); }), "");
    EXPECT_EQ(parse_json(nested_objects(kMaxJsonDepth), "ok.json").dump().size(), nested_objects(kMaxJsonDepth).size());
}

TEST(BoundedJson, EveryReaderIsBounded) {
    test::TempDir tmp;
    // A quantization config (the issue's example), a model config, a tokenizer.json, a jsonl dataset line,
    // a safetensors header.
    write(tmp / "quant.json", "{\"components\":" + nested_objects(100000) + "}");
    EXPECT_TRUE(contains(error_of([&] { quant::QuantConfig::load(tmp / "quant.json", arch::fastvlm_arch_table()); }),
                         (tmp / "quant.json").string() + ": invalid JSON: arrays/objects nested deeper than"));
    write(tmp / "ckpt" / "config.json", nested_arrays(100000));
    EXPECT_TRUE(contains(error_of([&] { io::Checkpoint c(tmp / "ckpt"); }),
                         (tmp / "ckpt" / "config.json").string() + ": invalid JSON: arrays/objects nested deeper"));
    EXPECT_EQ(error_of([&] { text::parse_tokenizer_json("{\"model\":" + nested_arrays(100000) + "}", "tok.json"); }),
              fmt::format("tok.json: invalid JSON: arrays/objects nested deeper than {} levels", kMaxJsonDepth));
    write(tmp / "q.jsonl", "{\"question_id\":1,\"image\":\"a.png\",\"text\":\"q\"}\n{\"x\":" + nested_arrays(100000) + "}\n");
    eval::DatasetSpec spec;
    spec.path = tmp / "q.jsonl";
    EXPECT_EQ(error_of([&] { eval::load_dataset(spec); }),
              fmt::format("{}:2: invalid JSON: arrays/objects nested deeper than {} levels", (tmp / "q.jsonl").string(),
                          kMaxJsonDepth));
    EXPECT_EQ(safetensors_error(safetensors_bytes("{\"__metadata__\":" + nested_objects(100000) + "}")),
              fmt::format("x.safetensors: header: invalid JSON: arrays/objects nested deeper than {} levels",
                          kMaxJsonDepth));
}

// --- 5b. Numbers that overflow ----------------------------------------------------------------------------

TEST(BoundedJson, OverflowingNumbersNameTheField) {
    EXPECT_EQ(error_of([] { parse_json(R"({"calibration_samples": 1e400})", "q.json"); }),
              "q.json: field 'calibration_samples': number 1e400 is out of range (beyond +-1.8e308)");
    EXPECT_EQ(error_of([] { parse_json(R"({"validation": {"max_drop": -1e400}})", "q.json"); }),
              "q.json: field 'max_drop': number -1e400 is out of range (beyond +-1.8e308)");
    // An integer too long for 64 bits is read as a double; 400 digits overflow that too.
    const std::string digits = "1" + std::string(400, '0');
    EXPECT_EQ(error_of([&] { parse_json(R"({"hidden_size": [)" + digits + "]}", "config.json"); }),
              "config.json: field 'hidden_size': number " + digits + " is out of range (beyond +-1.8e308)");
    EXPECT_EQ(error_of([] { parse_json("1e999999", "n.json"); }),
              "n.json: number 1e999999 is out of range (beyond +-1.8e308)");
    // An unsigned 64-bit value does not wrap to a negative int64.
    const json j = parse_json(R"({"n": 18446744073709551615, "m": 1e30})", "c.json");
    EXPECT_EQ(error_of([&] { json_int(j, "n", "c.json"); }), "c.json: field 'n': integer 18446744073709551615 is out of range");
    EXPECT_EQ(error_of([&] { json_int(j, "m", "c.json"); }), "c.json: field 'm' must be an integer, got 1e+30");
    // The streaming tokenizer reader applies the same check.
    EXPECT_EQ(error_of([] { text::parse_tokenizer_json(R"({"added_tokens": [{"lstrip": -1e400}]})", "tok.json"); }),
              "tok.json: field 'lstrip': number -1e400 is out of range (beyond +-1.8e308)");
}

TEST(BoundedJson, ValidDocumentsParseAsBefore) {
    const std::string text = R"({"b": [1, -2, 3.5, 18446744073709551615, "x", null, true, {"c": {}}], "a": {"k": []},
                                 "a": {"k": [1]}})";
    // Identical to nlohmann's own parser, including "the last duplicate key wins".
    EXPECT_EQ(parse_json(text, "x.json"), json::parse(text));
    EXPECT_EQ(error_of([&] { parse_json(text, "x.json", {.reject_duplicate_keys = true}); }),
              "x.json: duplicate key 'a'");
    EXPECT_TRUE(error_of([] { parse_json("{\"a\": 1} x", "x.json"); }).starts_with("x.json: invalid JSON: "));
}

TEST(BoundedJson, OrderedReaderKeepsFileOrderUnderTheSameLimits) {
    EXPECT_EQ(parse_ordered_json(R"({"b": 1, "a": [2, {"d": 3, "c": 4}]})", "o.json").dump(),
              R"({"b":1,"a":[2,{"d":3,"c":4}]})");
    EXPECT_EQ(error_of([] { parse_ordered_json(nested_objects(100000), "o.json"); }),
              fmt::format("o.json: invalid JSON: arrays/objects nested deeper than {} levels", kMaxJsonDepth));
    EXPECT_EQ(error_of([] { parse_ordered_json(R"({"x": {"y": [1, 1e400]}})", "o.json"); }),
              "o.json: field 'y': number 1e400 is out of range (beyond +-1.8e308)");
    EXPECT_EQ(error_of([] { parse_ordered_json(R"({"a": 1, "a": 2})", "o.json", {.reject_duplicate_keys = true}); }),
              "o.json: duplicate key 'a'");
    // The tokenizer's streaming reader builds the same tree: inside an array the error names the array's field.
    EXPECT_EQ(error_of([] { text::parse_tokenizer_json(R"({"added_tokens": [1, 1e400]})", "tok.json"); }),
              "tok.json: field 'added_tokens': number 1e400 is out of range (beyond +-1.8e308)");
    EXPECT_EQ(text::parse_tokenizer_json(R"({"z": [1, {"k": null}], "model": {"vocab": {"a": 0}, "type": "BPE"}})",
                                         "tok.json")
                  .config.dump(),
              R"({"model":{"type":"BPE"},"z":[1,{"k":null}]})");
}

// Whatever sits at --out is looked at before it may be replaced; a hostile file there is not recognised as a vlmq
// output, and its nesting cannot exhaust the stack (report.json used to be re-serialised for the comparison).
TEST(BoundedJson, FilesFoundAtAnOutputAreReadBounded) {
    test::TempDir tmp;
    const std::string deep = nested_arrays(100000);
    write(tmp / "report.json", R"({"baseline": 1, "steps": [], "final": )" + deep + R"(, "final_config": {}})");
    EXPECT_FALSE(pipeline::report_output_kind().recognise(tmp / "report.json"));
    write(tmp / "pkg" / "manifest.json", R"({"format": "vlmq", "x": )" + deep + "}");
    EXPECT_FALSE(package::package_output_kind().recognise(tmp / "pkg"));
    write(tmp / "m.mlpackage" / "Manifest.json", R"({"rootModelIdentifier": )" + deep + "}");
    write(tmp / "m.mlpackage" / "Data" / "com.apple.CoreML" / "model.mlmodel", "x");
    EXPECT_FALSE(exporters::coreml::mlpackage_output_kind().recognise(tmp / "m.mlpackage"));
    write(tmp / "s.safetensors", safetensors_bytes(R"({"__metadata__": {"format": "vlmq-calibration", "x": )" + deep + "}}"));
    EXPECT_FALSE(io::safetensors_output_kind("stats", "vlmq-calibration").recognise(tmp / "s.safetensors"));
    write(tmp / "ok.safetensors", safetensors_bytes(R"({"__metadata__": {"format": "vlmq-calibration"}})"));
    EXPECT_TRUE(io::safetensors_output_kind("stats", "vlmq-calibration").recognise(tmp / "ok.safetensors"));
}

// --- 5c. Safetensors headers ------------------------------------------------------------------------------

TEST(BoundedSafetensors, ThirtyThousandZeroSizeEntriesParse) {
    // 30,000 empty tensors at offset 0 are valid. (This took 337 s with the quadratic callback parser.)
    const std::string file = safetensors_bytes(zero_size_entries(30000));
    const io::SafetensorsHeader h = io::parse_safetensors(std::as_bytes(std::span(file.data(), file.size())), "x");
    EXPECT_EQ(h.tensors.size(), 30000u);
    EXPECT_EQ(h.tensors.front().nbytes(), 0u);
    // The same with one key repeated is rejected, naming it.
    std::string dup = zero_size_entries(30000);
    dup.insert(1, R"("t29999":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)");
    EXPECT_EQ(safetensors_error(safetensors_bytes(dup)), "x.safetensors: header: duplicate key 't29999'");
}

TEST(BoundedSafetensors, OversizedHeadersAndEntryCountsAreRejected) {
    EXPECT_EQ(safetensors_error(safetensors_bytes("{}", io::kMaxHeaderBytes + 1)),
              fmt::format("x.safetensors: header length {} exceeds the {} byte limit", io::kMaxHeaderBytes + 1,
                          io::kMaxHeaderBytes));
    EXPECT_EQ(safetensors_error(safetensors_bytes("{}", UINT64_MAX - 3)),
              fmt::format("x.safetensors: header length {} exceeds the {} byte limit", UINT64_MAX - 3,
                          io::kMaxHeaderBytes));
    EXPECT_EQ(safetensors_error(safetensors_bytes(zero_size_entries(io::kMaxHeaderTensors + 1))),
              fmt::format("x.safetensors: header lists {} tensors, more than the {} limit", io::kMaxHeaderTensors + 1,
                          io::kMaxHeaderTensors));
}

// --- 5d. Regular expressions ------------------------------------------------------------------------------

TEST(BoundedRegex, CatastrophicPatternsRunInLinearTime) {
    // Each of these makes a backtracking engine take exponential time on a 60+ character subject.
    const std::string name(5000, 'a');
    const std::string tensor = "model.layers.0.self_attn.q_proj.weight.and_a_long_suffix_that_does_not_end_in_x";
    for (const char* p : {"^(([a-z0-9_.]+)+)+X$", "^(a|aa)+$", "^(a+)+$", "(a*)*b", "^(\\w+\\s?)*$", "^(.*a){25}$"}) {
        const Pattern re(p, "test");
        EXPECT_FALSE(re.search(name + "!")) << p;
        EXPECT_FALSE(re.search(tensor)) << p;
    }
    EXPECT_TRUE(Pattern("^(a+)+$", "test").search(name));
}

TEST(BoundedRegex, UnsupportedOrHugePatternsAreErrorsNamingTheField) {
    const auto arch = arch::fastvlm_arch_table();
    auto config_error = [&](const std::string& text) {
        return error_of([&] { quant::QuantConfig::parse(json::parse(text), "q.json", arch); });
    };
    EXPECT_TRUE(config_error(R"j({"overrides": {"(?=mlp)": "int8"}})j")
                    .starts_with("q.json: 'overrides': invalid regular expression '(?=mlp)': "))
        << config_error(R"j({"overrides": {"(?=mlp)": "int8"}})j");
    EXPECT_TRUE(config_error(R"({"assign": {"(a)\\1": "decoder"}})")
                    .starts_with("q.json: 'assign': invalid regular expression '(a)\\1': "));
    EXPECT_TRUE(config_error(R"({"overrides": {"([": "int8"}})").starts_with("q.json: 'overrides': invalid regular"));
    EXPECT_EQ(error_of([] { Pattern(std::string(kMaxPatternBytes + 1, 'a'), "q.json: overrides"); }),
              fmt::format("q.json: overrides: regular expression of {} bytes is longer than the {} byte limit",
                          kMaxPatternBytes + 1, kMaxPatternBytes));
}

// RE2 keeps the meaning of every pattern vlmq uses: same matches, groups and replacements as std::regex
// (ECMAScript) over every tensor of the tiny model and of a full-size name list.
TEST(BoundedRegex, ArchitecturePatternsMatchLikeEcmaScript) {
    const arch::ArchTable table = arch::fastvlm_arch_table();
    const io::Checkpoint ckpt(test::tiny_model_dir());
    std::vector<std::string> names = ckpt.names();
    names.push_back("model.layers.27.mlp.down_proj.weight");
    names.push_back("model.vision_tower.vision_tower.model.network.11.3.token_mixer.qkv.weight");
    std::vector<std::string> patterns = table.keep_patterns;
    for (const auto& r : table.rules) patterns.push_back(r.pattern);
    for (const auto& r : table.rtn_only) patterns.push_back(r.pattern);
    for (const auto& p : table.unit_patterns) patterns.push_back(p);
    for (const auto& g : table.scale_groups) patterns.push_back(g.consumer_pattern);
    patterns.push_back("^lm_head\\.weight$");
    patterns.push_back("^model\\.layers\\.1\\.mlp\\.");
    size_t matches = 0;
    for (const auto& p : patterns) {
        const Pattern mine(p, "test");
        const std::regex ecma(p, std::regex::ECMAScript);
        for (const auto& n : names) {
            std::smatch m;
            const bool found = std::regex_search(n, m, ecma);
            ASSERT_EQ(mine.search(n), found) << p << " on " << n;
            if (!found) continue;
            ++matches;
            const auto groups = mine.search_groups(n);
            ASSERT_EQ(groups.size(), m.size()) << p;
            for (size_t i = 0; i < m.size(); ++i) EXPECT_EQ(groups[i], m[i].str()) << p << " on " << n;
            EXPECT_EQ(mine.replace_first(n, "<$1|$&|$$>"),
                      std::regex_replace(n, ecma, "<$1|$&|$$>", std::regex_constants::format_first_only));
            EXPECT_EQ(mine.format_match(n, "$1.x"), m.format("$1.x"));
        }
    }
    for (const auto& g : table.scale_groups) {
        const Pattern mine(g.consumer_pattern, "test");
        const std::regex ecma(g.consumer_pattern);
        for (const auto& n : names)
            if (mine.search(n))
                EXPECT_EQ(mine.replace_first(n, g.group),
                          std::regex_replace(n, ecma, g.group, std::regex_constants::format_first_only));
    }
    EXPECT_GT(matches, names.size());  // the comparison covered real matches, not only misses
}

// --- 5e. Image headers ------------------------------------------------------------------------------------

namespace {

std::string be32(uint32_t v) {
    return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

// Signature + IHDR chunk only: 33 bytes that claim w x h 8-bit RGB.
std::string png_header(uint32_t w, uint32_t h) {
    return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(w) + be32(h) + std::string("\x08\x02\0\0\0", 5) +
           be32(0);
}

// GIF89a logical screen descriptor only.
std::string gif_header(uint16_t w, uint16_t h) {
    return "GIF89a" + std::string{char(w & 0xff), char(w >> 8), char(h & 0xff), char(h >> 8)} + std::string(3, '\0');
}

// TGA: uncompressed true-colour, w x h at 24 bits.
std::string tga_header(uint16_t w, uint16_t h) {
    std::string t(18, '\0');
    t[2] = 2;
    t[12] = char(w & 0xff);
    t[13] = char(w >> 8);
    t[14] = char(h & 0xff);
    t[15] = char(h >> 8);
    t[16] = 24;
    return t;
}

}  // namespace

TEST(BoundedImage, HeadersPromisingHugePixelCountsAreRejectedBeforeDecoding) {
    test::TempDir tmp;
    const std::string limit = fmt::format("exceeds the {} pixel limit", image::kMaxImagePixels);
    struct Case {
        const char* file;
        std::string bytes;
        const char* size;
    };
    const Case cases[] = {{"huge.png", png_header(16384, 16384), "16384x16384 = 268435456 pixels"},
                          {"wide.png", png_header(16384, 4097), "16384x4097 = 67125248 pixels"},
                          {"huge.gif", gif_header(16384, 16384), "16384x16384 = 268435456 pixels"},
                          {"huge.tga", tga_header(12000, 12000), "12000x12000 = 144000000 pixels"}};
    for (const auto& c : cases) {
        write(tmp / c.file, c.bytes);
        EXPECT_EQ(error_of([&] { image::load_image(tmp / c.file); }),
                  fmt::format("{}: cannot decode image: {} {}", (tmp / c.file).string(), c.size, limit));
    }
    EXPECT_LT(png_header(16384, 16384).size(), 42u);
}

// --- 5f. Special files ------------------------------------------------------------------------------------

TEST(BoundedFiles, FifosAndDevicesAreRefusedWithoutBlocking) {
    test::TempDir tmp;
    const fs::path fifo = tmp / "config.json";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);  // nobody ever writes: a blocking open would hang here
    const std::string is_fifo = ": is a FIFO (named pipe), expected a regular file";
    EXPECT_EQ(error_of([&] { read_text_file(fifo); }), fifo.string() + is_fifo);
    EXPECT_EQ(error_of([&] { read_json_file(fifo); }), fifo.string() + is_fifo);
    EXPECT_EQ(error_of([&] { image::load_image(fifo); }), fifo.string() + ": cannot decode image" + is_fifo);
    EXPECT_EQ(error_of([&] { io::MappedFile m(fifo); }), fifo.string() + is_fifo);
    EXPECT_EQ(error_of([&] { io::Checkpoint c(tmp.path()); }), fifo.string() + is_fifo);

    const std::string is_dev = "/dev/zero: is a character device, expected a regular file";
    EXPECT_EQ(error_of([] { read_text_file("/dev/zero"); }), is_dev);
    EXPECT_EQ(error_of([] { image::load_image("/dev/zero"); }),
              "/dev/zero: cannot decode image: is a character device, expected a regular file");
    EXPECT_EQ(error_of([] { io::MappedFile m("/dev/zero"); }), is_dev);
    EXPECT_EQ(error_of([] { io::SafetensorsFile f("/dev/urandom"); }),
              "/dev/urandom: is a character device, expected a regular file");
    EXPECT_EQ(error_of([&] { read_text_file(tmp.path()); }), tmp.path().string() + ": is a directory, expected a file");
}

TEST(BoundedFiles, WholeFileReadsAreCapped) {
    test::TempDir tmp;
    write(tmp / "a.json", "[1, 2, 3]");
    EXPECT_EQ(read_input_file(tmp / "a.json", 9), "[1, 2, 3]");
    EXPECT_EQ(error_of([&] { read_input_file(tmp / "a.json", 8); }),
              (tmp / "a.json").string() + ": file is 9 bytes, more than the 8 byte limit for this kind of input");
    // A sparse file claiming more than the image limit is refused from its size alone, before any read.
    const fs::path big = tmp / "big.png";
    write(big, "");
    fs::resize_file(big, image::kMaxImageFileBytes + 1);
    EXPECT_EQ(error_of([&] { image::load_image(big); }),
              fmt::format("{}: cannot decode image: file is {} bytes, more than the {} byte limit for this kind of input",
                          big.string(), image::kMaxImageFileBytes + 1, image::kMaxImageFileBytes));
}

// --- 6. Dataset paths -------------------------------------------------------------------------------------

TEST(ConfinedData, ImagePathsMustStayInsideTheImageFolder) {
    test::TempDir tmp;
    const fs::path data = tmp / "data";
    write(data / "in.png", "x");
    write(tmp / "outside.png", "x");
    fs::create_directory_symlink(tmp.path(), data / "link");
    const fs::path q = data / "questions.jsonl";
    auto load = [&](const std::string& image, bool allow = false) {
        write(q, fmt::format(R"({{"question_id": 1, "image": "in.png", "text": "ok"}})"
                             "\n"
                             R"({{"question_id": 7, "image": {}, "text": "Q"}})",
                             json(image).dump()));
        eval::DatasetSpec spec;
        spec.path = q;
        spec.allow_outside_data = allow;
        return error_of([&] { eval::load_dataset(spec); });
    };
    const fs::path outside = fs::weakly_canonical(tmp / "outside.png");
    const std::string root = fs::weakly_canonical(data).string();
    for (const std::string& image : {std::string("../outside.png"), outside.string(), std::string("link/outside.png"),
                                     std::string("sub/../../outside.png")}) {
        EXPECT_EQ(load(image), fmt::format("{}: question_id 7: image '{}' resolves to '{}', outside the image folder "
                                           "'{}' (allow with --allow-outside-data)",
                                           q.string(), (data / image).lexically_normal().string(), outside.string(), root))
            << image;
        EXPECT_EQ(load(image, true), "") << image;  // the explicit flag lets it through
    }
    EXPECT_EQ(load("link/../in.png"), "");  // ".." applied before following the link: stays inside
    EXPECT_EQ(load("./in.png"), "");
}

TEST(ConfinedData, PatternsAndSubtypesCannotLeaveTheFolder) {
    test::TempDir tmp;
    // VQAv2: a data_subtype of "../x" reaches outside images/.
    write(tmp / "vqa" / "vqa_questions.json",
          R"({"data_subtype": "../../secret", "questions": [{"question_id": 1, "image_id": 2, "question": "Q"}]})");
    eval::DatasetSpec vqa;
    vqa.path = tmp / "vqa";
    const std::string err = error_of([&] { eval::load_dataset(vqa); });
    EXPECT_TRUE(err.starts_with((tmp / "vqa").string() + ": question_id 1: image '")) << err;
    EXPECT_TRUE(contains(err, "outside the image folder")) << err;
    // COCO-QA: an image pattern climbing out.
    const fs::path coco = tmp / "coco";
    write(coco / "questions.txt", "what is it\n");
    write(coco / "answers.txt", "cat\n");
    write(coco / "img_ids.txt", "5\n");
    write(coco / "types.txt", "0\n");
    write(tmp / "5.png", "x");
    eval::DatasetSpec cs;
    cs.path = coco;
    cs.image_pattern = "../../{image_id}.png";
    EXPECT_TRUE(contains(error_of([&] { eval::load_dataset(cs); }), "question_id 1: image '" + (tmp / "5.png").string()))
        << error_of([&] { eval::load_dataset(cs); });
    cs.allow_outside_data = true;
    EXPECT_EQ(error_of([&] { eval::load_dataset(cs); }), "");
}

// --- 7. Mapped files truncated by another process ---------------------------------------------------------

namespace {

fs::path write_tensor_file(const fs::path& dir, size_t floats) {
    const fs::path p = dir / "w.safetensors";
    io::write_safetensors(p, {{{"w", DType::F32, {int64_t(floats)}}, std::vector<std::byte>(floats * 4, std::byte{1})}});
    return p;
}

}  // namespace

TEST(MappedTruncation, ReadingBytesLostToTruncationExitsWithOneLine) {
    test::TempDir tmp;
    const fs::path p = write_tensor_file(tmp.path(), 1 << 16);
    const std::string message = "w.safetensors: input file shrank while being read";
    // Truncated to the header only: the tensor's last page is gone.
    EXPECT_EXIT(
        {
            const io::SafetensorsFile f(p);
            fs::resize_file(p, f.header_bytes().size());
            const auto bytes = f.data(*f.find("w"));
            volatile uint8_t sink = uint8_t(bytes[bytes.size() - 1]);
            (void)sink;
            std::exit(0);
        },
        ::testing::ExitedWithCode(1), "vlmq: error: .*" + message);
    // Truncated to nothing, read through a plain mapping on another thread.
    EXPECT_EXIT(
        {
            const io::MappedFile m(p);
            ::truncate(p.c_str(), 0);
            std::thread t([&] {
                volatile uint8_t sink = uint8_t(m.bytes()[m.size() / 2]);
                (void)sink;
            });
            t.join();
            std::exit(0);
        },
        ::testing::ExitedWithCode(1), message);
}

TEST(MappedTruncation, OtherSigbusesKeepTheirDefaultAction) {
    test::TempDir tmp;
    const fs::path p = write_tensor_file(tmp.path(), 16);
    EXPECT_EXIT(
        {
            const io::MappedFile m(p);  // installs the handler
            ::raise(SIGBUS);
            std::exit(0);
        },
#if defined(__SANITIZE_ADDRESS__) || VLMQ_TEST_HAS_ASAN
        // Under AddressSanitizer the previous handler is ASan's, which reports the signal and aborts.
        [](int status) { return !(WIFEXITED(status) && WEXITSTATUS(status) == 0); }, "");
#else
        ::testing::KilledBySignal(SIGBUS), "");
#endif
    // Untouched mappings read normally.
    const io::MappedFile m(p);
    EXPECT_EQ(uint8_t(m.bytes()[m.size() - 1]), 1);
}
