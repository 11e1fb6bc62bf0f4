#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_util.h"
#include "test_util.h"
#include "text/bpe.h"
#include "text/byte_level.h"
#include "text/pretokenize.h"
#include "text/tokenizer.h"

using namespace vlmq;
using namespace vlmq::text;

namespace {

std::filesystem::path tiny_tokenizer_json() { return test::tiny_model_dir() / "tokenizer.json"; }

const Tokenizer& tiny() {
    static const Tokenizer tok = Tokenizer::load(tiny_tokenizer_json());
    return tok;
}

struct Case {
    std::string text, decoded;
    std::vector<int32_t> ids;
};

std::vector<Case> golden_cases() {
    std::ifstream in(test::tiny_golden_dir() / "tokenizer_cases.jsonl");
    std::vector<Case> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const json j = json::parse(line);
        cases.push_back({j.at("text").get<std::string>(), j.at("decoded").get<std::string>(),
                         j.at("ids").get<std::vector<int32_t>>()});
    }
    return cases;
}

// Loads a modified copy of the tiny tokenizer.json and returns the error message ("" if none).
std::string load_error(const std::function<void(json&)>& edit, std::filesystem::path* written = nullptr) {
    static test::TempDir dir;
    json j = read_json_file(tiny_tokenizer_json());
    edit(j);
    const auto path = dir / "tokenizer.json";
    write_file_atomic(path, j.dump());
    if (written) *written = path;
    try {
        Tokenizer::load(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Tokenizer, GoldenCasesEncodeAndDecodeExactly) {
    const auto cases = golden_cases();
    ASSERT_EQ(cases.size(), 140u);
    for (const Case& c : cases) {
        EXPECT_EQ(tiny().encode(c.text), c.ids) << "text: " << c.text;
        EXPECT_EQ(tiny().decode(c.ids), c.decoded) << "text: " << c.text;
    }
}

TEST(Tokenizer, UnicodeCasesAreCovered) {
    // The golden file must keep exercising the non-ASCII paths checked above.
    int found = 0;
    for (const Case& c : golden_cases())
        for (const char* needle : {"日本語", "🙂", "\u00a0nbsp\u2003", "Zürich", "naïve"})
            found += c.text.find(needle) != std::string::npos;
    EXPECT_EQ(found, 5);
}

TEST(Tokenizer, MergesAsStringsMatchMergesAsPairs) {
    json j = read_json_file(tiny_tokenizer_json());
    for (json& m : j["model"]["merges"]) m = m[0].get<std::string>() + " " + m[1].get<std::string>();
    const Tokenizer tok = Tokenizer::from_json(j, "strings.json");
    for (const Case& c : golden_cases()) EXPECT_EQ(tok.encode(c.text), c.ids) << "text: " << c.text;
}

TEST(Tokenizer, VocabAndSpecialTokens) {
    EXPECT_EQ(tiny().vocab_size(), 451u);
    EXPECT_EQ(tiny().token_id("<|endoftext|>"), 448);
    EXPECT_EQ(tiny().token_id("<|im_start|>"), 449);
    EXPECT_EQ(tiny().token_id("<|im_end|>"), 450);
    EXPECT_EQ(tiny().token_id("no such token"), std::nullopt);
    EXPECT_TRUE(tiny().is_special(450));
    EXPECT_FALSE(tiny().is_special(198));
    EXPECT_EQ(tiny().token(198), "\u010a");  // "\n" in the byte-level alphabet
    EXPECT_EQ(tiny().encode(""), std::vector<int32_t>{});
}

TEST(Tokenizer, DecodeSkipsSpecialTokensOnRequest) {
    const auto ids = tiny().encode("<|im_start|>user\nhi<|im_end|>");
    ASSERT_EQ(ids.front(), 449);
    ASSERT_EQ(ids.back(), 450);
    EXPECT_EQ(tiny().decode(ids, true), "user\nhi");
    EXPECT_EQ(tiny().decode(ids, false), "<|im_start|>user\nhi<|im_end|>");
}

TEST(Tokenizer, AddedTokensMatchLongestFirstAndInsideWords) {
    // "<|im_end|>" is matched even when glued to text, and a near-miss stays ordinary text.
    const auto ids = tiny().encode("a<|im_end|>b<|im_end|");
    ASSERT_GE(ids.size(), 3u);
    EXPECT_EQ(ids[1], 450);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 450), 1);
    EXPECT_EQ(tiny().decode(ids), "a<|im_end|>b<|im_end|");
}

TEST(Tokenizer, PartialUtf8AtTheEndDecodesWithReplacementCharacter) {
    const auto ids = tiny().encode("🙂");
    ASSERT_GT(ids.size(), 1u);  // the tiny vocab has no merge for the emoji's bytes
    const std::vector<int32_t> cut(ids.begin(), ids.end() - 1);
    EXPECT_EQ(tiny().decode(cut), "\xef\xbf\xbd");
}

TEST(Tokenizer, BadIdsAndBadTextFailClearly) {
    const std::vector<int32_t> too_big{451}, negative{-200};
    EXPECT_THROW(tiny().decode(too_big), Error);
    try {
        tiny().decode(negative);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("-200"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
    }
    EXPECT_THROW(tiny().encode("bad \xff byte"), Error);
    EXPECT_THROW(tiny().encode("cut \xe6\x97"), Error);
}

TEST(Tokenizer, MalformedFilesNameTheFileAndField) {
    std::filesystem::path path;
    std::string err = load_error([](json& j) { j.erase("model"); }, &path);
    EXPECT_NE(err.find(path.string()), std::string::npos) << err;
    EXPECT_NE(err.find("model"), std::string::npos) << err;

    err = load_error([](json& j) { j["model"]["merges"][3] = json::array({"zz_not_there", "s"}); });
    EXPECT_NE(err.find("model.merges[3]"), std::string::npos) << err;

    err = load_error([](json& j) { j["model"]["merges"][0] = "no_space"; });
    EXPECT_NE(err.find("model.merges[0]"), std::string::npos) << err;

    err = load_error([](json& j) { j["model"]["vocab"]["!"] = "one"; });
    EXPECT_NE(err.find("model.vocab"), std::string::npos) << err;

    err = load_error([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+"; });
    EXPECT_NE(err.find("pre_tokenizer.pretokenizers[0].pattern.Regex"), std::string::npos) << err;

    err = load_error([](json& j) { j["normalizer"]["type"] = "NFKC"; });
    EXPECT_NE(err.find("normalizer.type"), std::string::npos) << err;

    err = load_error([](json& j) { j["added_tokens"][1]["id"] = 448; });
    EXPECT_NE(err.find("448"), std::string::npos) << err;

    err = load_error([](json& j) { j["added_tokens"][0].erase("content"); });
    EXPECT_NE(err.find("added_tokens[0]"), std::string::npos) << err;

    test::TempDir dir;
    write_file_atomic(dir / "broken.json", "{\"model\": {\"vocab\": ");
    try {
        Tokenizer::load(dir / "broken.json");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("broken.json"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Tokenizer::load(dir / "missing.json"), Error);
}

TEST(Tokenizer, MissingByteSymbolFailsWhenNeeded) {
    json j = read_json_file(tiny_tokenizer_json());
    j["model"]["vocab"].erase("\u0100");  // byte 0x00; no merge uses it
    const Tokenizer tok = Tokenizer::from_json(j, "nobyte.json");
    EXPECT_EQ(tok.encode("ok"), tiny().encode("ok"));
    try {
        tok.encode(std::string("nul\0here", 8));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("0x00"), std::string::npos) << e.what();
    }
}

// Textbook BPE: repeatedly merge the leftmost occurrence of the lowest-ranked adjacent pair.
std::vector<int32_t> naive_bpe(const std::string& word, const std::map<std::pair<std::string, std::string>, int>& ranks,
                               const std::map<std::string, int32_t>& vocab) {
    std::vector<std::string> syms;
    for (const char c : word) syms.push_back(byte_symbol(uint8_t(c)));
    for (;;) {
        int best = INT32_MAX;
        size_t at = 0;
        for (size_t i = 0; i + 1 < syms.size(); ++i) {
            const auto it = ranks.find({syms[i], syms[i + 1]});
            if (it != ranks.end() && it->second < best) best = it->second, at = i;
        }
        if (best == INT32_MAX) break;
        syms[at] += syms[at + 1];
        syms.erase(syms.begin() + std::ptrdiff_t(at) + 1);
    }
    std::vector<int32_t> ids;
    for (const auto& s : syms) ids.push_back(vocab.at(s));
    return ids;
}

TEST(Bpe, MatchesTextbookMergeOrderOnRandomVocabularies) {
    std::mt19937 rng(1234);
    for (int round = 0; round < 5; ++round) {
        std::map<std::string, int32_t> vocab;
        std::vector<std::pair<std::string, int32_t>> entries;
        auto add = [&](const std::string& t) {
            if (vocab.emplace(t, int32_t(vocab.size())).second) entries.emplace_back(t, vocab.at(t));
        };
        for (int b = 0; b < 256; ++b) add(byte_symbol(uint8_t(b)));
        std::vector<std::string> pool{"a", "b", "c", "d"};
        std::vector<std::pair<std::string, std::string>> merges;
        std::map<std::pair<std::string, std::string>, int> ranks;
        while (merges.size() < 300) {
            const std::string& l = pool[rng() % pool.size()];
            const std::string& r = pool[rng() % pool.size()];
            if (ranks.count({l, r}) || l.size() + r.size() > 12) continue;
            ranks[{l, r}] = int(merges.size());
            merges.emplace_back(l, r);
            add(l + r);
            pool.push_back(l + r);
        }
        const BpeModel bpe(entries, merges, false, "random");
        for (int w = 0; w < 300; ++w) {
            std::string word(1 + rng() % 40, 'a');
            for (char& c : word) c = char('a' + rng() % 4);
            std::vector<int32_t> got;
            bpe.encode_word(word, got);
            ASSERT_EQ(got, naive_bpe(word, ranks, vocab)) << "round " << round << " word " << word;
        }
    }
}

TEST(Pretokenize, QwenRegexPieces) {
    using V = std::vector<std::string_view>;
    EXPECT_EQ(split_qwen2("a  b", "t"), (V{"a", " ", " b"}));
    EXPECT_EQ(split_qwen2("x\n\n  y", "t"), (V{"x", "\n\n", " ", " y"}));
    EXPECT_EQ(split_qwen2("don't STOP'LL", "t"), (V{"don", "'t", " STOP", "'LL"}));
    EXPECT_EQ(split_qwen2("ab12!!\n\nc", "t"), (V{"ab", "1", "2", "!!\n\n", "c"}));
    EXPECT_EQ(split_qwen2("end  ", "t"), (V{"end", "  "}));
    EXPECT_EQ(split_qwen2(" (x) ?", "t"), (V{" (", "x", ")", " ?"}));
    EXPECT_EQ(split_qwen2("\u00a0nbsp\u2003em", "t"), (V{"\u00a0nbsp", "\u2003em"}));
    EXPECT_EQ(split_qwen2("日本語123", "t"), (V{"日本語", "1", "2", "3"}));
}

TEST(Pretokenize, UnicodeClasses) {
    EXPECT_TRUE(is_white_space(0xa0));
    EXPECT_TRUE(is_white_space(0x2003));
    EXPECT_TRUE(is_white_space(0x3000));
    EXPECT_FALSE(is_white_space(0x200b));  // zero width space is not White_Space
    EXPECT_TRUE(is_letter(U'ß'));
    EXPECT_TRUE(is_letter(U'語'));
    EXPECT_FALSE(is_letter(U'_'));
    EXPECT_TRUE(is_number(U'²'));
    EXPECT_TRUE(is_number(U'Ⅻ'));
    EXPECT_FALSE(is_number(U'x'));
}
