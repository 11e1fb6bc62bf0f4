#include "eval/vqa_normalize.h"

#include <utf8proc.h>

#include <array>
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace vlmq::eval {

namespace {

// The official punctuation list, in upstream order (21 characters; no apostrophe, colon or period).
constexpr std::string_view kPunct = ";/[]\"{}()=+\\_-><@`,?!";
static_assert(kPunct.size() == 21);

constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kNumbers{{
    {"none", "0"}, {"zero", "0"}, {"one", "1"}, {"two", "2"}, {"three", "3"}, {"four", "4"},
    {"five", "5"}, {"six", "6"}, {"seven", "7"}, {"eight", "8"}, {"nine", "9"}, {"ten", "10"}}};

constexpr int kMaxPeriodRemovals = 32;  // re.UNICODE (= 32) passed as sub()'s count upstream

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// Python's str.isspace() set, which str.split() and str.strip() use.
bool is_py_space(int32_t cp) {
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

// One decoded unit of UTF-8 text: a code point, or a single invalid byte (cp = -1).
struct Unit {
    size_t pos, len;
    int32_t cp;
};

std::vector<Unit> decode(std::string_view s) {
    std::vector<Unit> units;
    units.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        utf8proc_int32_t cp = 0;
        const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                        utf8proc_ssize_t(s.size() - i), &cp);
        if (n <= 0) {
            units.push_back({i, 1, -1});
            i += 1;
        } else {
            units.push_back({i, size_t(n), cp});
            i += size_t(n);
        }
    }
    return units;
}

std::string strip(std::string_view s) {
    const auto units = decode(s);
    size_t b = 0, e = units.size();
    while (b < e && is_py_space(units[b].cp)) ++b;
    while (e > b && is_py_space(units[e - 1].cp)) --e;
    if (b == e) return {};
    const size_t from = units[b].pos, to = units[e - 1].pos + units[e - 1].len;
    return std::string(s.substr(from, to - from));
}

std::vector<std::string> split(std::string_view s) {
    std::vector<std::string> tokens;
    std::string cur;
    for (const Unit& u : decode(s)) {
        if (is_py_space(u.cp)) {
            if (!cur.empty()) tokens.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.append(s.substr(u.pos, u.len));
        }
    }
    if (!cur.empty()) tokens.push_back(std::move(cur));
    return tokens;
}

// Simple (one-to-one) Unicode lowercase; invalid bytes pass through.
std::string lower(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const Unit& u : decode(s)) {
        if (u.cp < 0) {
            out.append(s.substr(u.pos, u.len));
        } else if (u.cp < 0x80) {
            const char c = char(u.cp);
            out.push_back(c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c);
        } else {
            utf8proc_uint8_t buf[4];
            const auto n = utf8proc_encode_char(utf8proc_tolower(u.cp), buf);
            out.append(reinterpret_cast<const char*>(buf), size_t(n));
        }
    }
    return out;
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
    std::string out;
    size_t i = 0;
    while (true) {
        const size_t j = s.find(from, i);
        if (j == std::string_view::npos) break;
        out.append(s.substr(i, j - i));
        out.append(to);
        i = j + from.size();
    }
    out.append(s.substr(i));
    return out;
}

bool has_digit_comma_digit(std::string_view s) {
    for (size_t i = 1; i + 1 < s.size(); ++i)
        if (s[i] == ',' && is_ascii_digit(s[i - 1]) && is_ascii_digit(s[i + 1])) return true;
    return false;
}

}  // namespace

std::string_view normalizer_name(Normalizer n) {
    switch (n) {
        case Normalizer::none: return "none";
        case Normalizer::official: return "official";
        case Normalizer::evalai: return "evalai";
    }
    return "?";
}

Normalizer parse_normalizer(std::string_view name, std::string_view where) {
    if (name == "none") return Normalizer::none;
    if (name == "official") return Normalizer::official;
    if (name == "evalai") return Normalizer::evalai;
    fail("{}: unknown normalizer '{}' (expected official, evalai or none)", where, name);
}

std::string clean_whitespace(std::string_view text) {
    std::string s(text);
    for (char& c : s)
        if (c == '\n' || c == '\t') c = ' ';
    return strip(s);
}

std::string process_punctuation(std::string_view text) {
    // Every decision looks at the original text, so the list order does not matter.
    const bool comma_switch = has_digit_comma_digit(text);
    std::array<bool, 128> remove{};  // true: delete the character; false: replace it with a space
    for (const char p : kPunct) {
        const char pat1[2] = {p, ' '}, pat2[2] = {' ', p};
        remove[size_t(p)] = comma_switch || text.find(std::string_view(pat1, 2)) != std::string_view::npos ||
                            text.find(std::string_view(pat2, 2)) != std::string_view::npos;
    }
    std::string mid;
    mid.reserve(text.size());
    for (const char c : text) {
        if (kPunct.find(c) == std::string_view::npos) {
            mid.push_back(c);
        } else if (!remove[size_t(c)]) {
            mid.push_back(' ');
        }
    }
    // The upstream regex (?!<=\d)(\.)(?!\d) deletes every '.' not directly followed by a digit.
    std::string out;
    out.reserve(mid.size());
    int removed = 0;
    for (size_t i = 0; i < mid.size(); ++i) {
        const bool next_is_digit = i + 1 < mid.size() && is_ascii_digit(mid[i + 1]);
        if (mid[i] == '.' && !next_is_digit && removed < kMaxPeriodRemovals) {
            ++removed;
            continue;
        }
        out.push_back(mid[i]);
    }
    return out;
}

std::string process_digit_article(std::string_view text) {
    std::string out;
    for (const std::string& raw : split(lower(text))) {
        std::string_view word = raw;
        for (const auto& [from, to] : kNumbers)
            if (word == from) word = to;
        if (word == "a" || word == "an" || word == "the") continue;
        word = map_contraction(word);
        if (!out.empty()) out.push_back(' ');
        out.append(word);
    }
    return out;
}

std::string normalize(Normalizer n, std::string_view text) {
    switch (n) {
        case Normalizer::none: return clean_whitespace(text);
        case Normalizer::official: return process_digit_article(process_punctuation(clean_whitespace(text)));
        case Normalizer::evalai: {
            // Pre-tokenize. With every ',' gone, EvalAI's own comma regex (?<=\d)(,)+(?=\d) can never
            // fire, so the official punctuation step gives the same result.
            std::string s = lower(text);
            std::erase_if(s, [](char c) { return c == ',' || c == '?'; });
            s = clean_whitespace(replace_all(s, "'s", " 's"));
            return process_digit_article(process_punctuation(s));
        }
    }
    return std::string(text);
}

}  // namespace vlmq::eval
