#include "synth/synth_tokenizer.h"

#include <fmt/format.h>

#include "core/json_util.h"

namespace vlmq::synth {

namespace {

// GPT-2's printable mapping of the 256 byte values.
std::string byte_symbol(int b) {
    int cp;
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) {
        cp = b;
    } else {
        int n = 0;
        for (int x = 0; x < b; ++x)
            if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) ++n;
        cp = 256 + n;
    }
    std::string s;
    if (cp < 0x80) {
        s.push_back(char(cp));
    } else {
        s.push_back(char(0xc0 | (cp >> 6)));
        s.push_back(char(0x80 | (cp & 0x3f)));
    }
    return s;
}

const char* const kSpecial[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

}  // namespace

std::string synthetic_tokenizer_json(int size) {
    json vocab = json::object();
    for (int b = 0; b < 256; ++b) vocab[byte_symbol(b)] = b;
    for (int id = 256; id < size - 3; ++id) vocab[fmt::format("<|synthetic_{}|>", id)] = id;
    json added = json::array();
    for (int i = 0; i < 3; ++i)
        added.push_back({{"id", size - 3 + i}, {"content", kSpecial[i]}, {"single_word", false}, {"lstrip", false},
                         {"rstrip", false}, {"normalized", false}, {"special", true}});
    json j;
    j["version"] = "1.0";
    j["truncation"] = nullptr;
    j["padding"] = nullptr;
    j["added_tokens"] = added;
    j["normalizer"] = {{"type", "NFC"}};
    j["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern",
            {{"Regex", R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
    j["post_processor"] = nullptr;
    j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
    j["model"] = {{"type", "BPE"},         {"dropout", nullptr},      {"unk_token", nullptr},
                  {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
                  {"byte_fallback", false}, {"ignore_merges", false}, {"vocab", vocab},
                  {"merges", json::array()}};
    return j.dump() + "\n";
}

std::string synthetic_tokenizer_config_json(int size) {
    ordered_json added = ordered_json::object();
    for (int i = 0; i < 3; ++i) added[std::to_string(size - 3 + i)] = {{"content", kSpecial[i]}, {"special", true}};
    ordered_json j;
    j["model_max_length"] = 8192;
    j["padding_side"] = "right";
    j["eos_token"] = "<|im_end|>";
    j["pad_token"] = "<|endoftext|>";
    j["bos_token"] = nullptr;
    j["added_tokens_decoder"] = added;
    return json_dump(j);
}

}  // namespace vlmq::synth
