#include "text/pretokenize.h"

#include <utf8proc.h>

#include "text/utf8.h"

namespace vlmq::text {

bool is_letter(char32_t cp) {
    if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    const utf8proc_category_t c = utf8proc_category(utf8proc_int32_t(cp));
    return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT ||
           c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_LO;
}

bool is_number(char32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    const utf8proc_category_t c = utf8proc_category(utf8proc_int32_t(cp));
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool is_white_space(char32_t cp) {
    switch (cp) {
        case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0x85: case 0xa0:
        case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200a;
    }
}

namespace {

bool is_crlf(char32_t cp) { return cp == '\r' || cp == '\n'; }

class Scanner {
public:
    explicit Scanner(const std::vector<char32_t>& cps) : c_(cps), n_(cps.size()) {}

    // Length in code points of the match starting at i (always >= 1 for this pattern).
    size_t match(size_t i) const {
        size_t len;
        if ((len = contraction(i))) return len;
        if ((len = letters(i))) return len;
        if (is_number(c_[i])) return 1;
        if ((len = punctuation(i))) return len;
        if ((len = space_then_newlines(i))) return len;
        if ((len = space_not_before_text(i))) return len;
        if (is_white_space(c_[i])) return space_run_end(i) - i;
        return 1;  // unreachable: every code point is a letter, number, space or other
    }

private:
    char32_t lower(size_t i) const {
        const char32_t cp = c_[i];
        if (cp < 0x80) return cp | 0x20;
        if (cp == 0x17f) return 's';  // LATIN SMALL LETTER LONG S case-folds to 's'
        return cp;
    }

    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    size_t contraction(size_t i) const {
        if (c_[i] != '\'' || i + 1 >= n_) return 0;
        const char32_t a = lower(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
        if (i + 2 >= n_) return 0;
        const char32_t b = lower(i + 2);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
        return 0;
    }

    // [^\r\n\p{L}\p{N}]?\p{L}+
    size_t letters(size_t i) const {
        size_t j = i;
        if (!is_crlf(c_[j]) && !is_letter(c_[j]) && !is_number(c_[j])) ++j;
        if (j >= n_ || !is_letter(c_[j])) return 0;
        while (j < n_ && is_letter(c_[j])) ++j;
        return j - i;
    }

    static bool is_other(char32_t cp) { return !is_white_space(cp) && !is_letter(cp) && !is_number(cp); }

    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    size_t punctuation(size_t i) const {
        size_t j = i;
        if (c_[j] == ' ') ++j;
        if (j >= n_ || !is_other(c_[j])) return 0;
        while (j < n_ && is_other(c_[j])) ++j;
        while (j < n_ && is_crlf(c_[j])) ++j;
        return j - i;
    }

    size_t space_run_end(size_t i) const {
        size_t j = i;
        while (j < n_ && is_white_space(c_[j])) ++j;
        return j;
    }

    // \s*[\r\n]+ : backtracking leaves the match ending after the last CR/LF of the space run.
    size_t space_then_newlines(size_t i) const {
        const size_t end = space_run_end(i);
        for (size_t k = end; k > i; --k)
            if (is_crlf(c_[k - 1])) return k - i;
        return 0;
    }

    // \s+(?!\S) : the whole run at the end of text, otherwise the run less its last code point.
    size_t space_not_before_text(size_t i) const {
        const size_t end = space_run_end(i);
        if (end == i) return 0;
        if (end == n_) return end - i;
        return end - i >= 2 ? end - i - 1 : 0;
    }

    const std::vector<char32_t>& c_;
    size_t n_;
};

}  // namespace

std::vector<std::string_view> split_qwen2(std::string_view text, std::string_view where) {
    const CodePoints cp = decode_utf8(text, where);
    const Scanner scanner(cp.cps);
    std::vector<std::string_view> pieces;
    for (size_t i = 0; i < cp.cps.size();) {
        const size_t len = scanner.match(i);
        pieces.push_back(text.substr(cp.offsets[i], cp.offsets[i + len] - cp.offsets[i]));
        i += len;
    }
    return pieces;
}

}  // namespace vlmq::text
