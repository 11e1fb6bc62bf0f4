#include "text/utf8.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "core/error.h"

namespace vlmq::text {

namespace {

// Decodes one sequence at p[0..n) following the well-formed table of Unicode §3.9 (Table 3-7).
// Returns its length, or minus the length of the maximal ill-formed prefix (at least 1).
int next_sequence(const unsigned char* p, size_t n, char32_t& cp) {
    const unsigned char b0 = p[0];
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    int len;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        len = 2;
        cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        len = 3;
        cp = b0 & 0x0f;
        if (b0 == 0xe0) lo = 0xa0;
        if (b0 == 0xed) hi = 0x9f;  // no surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        len = 4;
        cp = b0 & 0x07;
        if (b0 == 0xf0) lo = 0x90;
        if (b0 == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
    } else {
        return -1;
    }
    for (int i = 1; i < len; ++i) {
        if (size_t(i) >= n) return -i;
        const unsigned char b = p[i];
        const unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xbf;
        if (b < l || b > h) return -i;
        cp = (cp << 6) | (b & 0x3f);
    }
    return len;
}

}  // namespace

CodePoints decode_utf8(std::string_view s, std::string_view where) {
    CodePoints r;
    r.cps.reserve(s.size());
    r.offsets.reserve(s.size() + 1);
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t i = 0;
    while (i < s.size()) {
        char32_t cp;
        const int len = next_sequence(p + i, s.size() - i, cp);
        if (len < 0) fail("{}: text is not valid UTF-8 at byte {}", where, i);
        r.cps.push_back(cp);
        r.offsets.push_back(uint32_t(i));
        i += size_t(len);
    }
    r.offsets.push_back(uint32_t(s.size()));
    return r;
}

void check_utf8(std::string_view s, std::string_view where) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (size_t i = 0; i < s.size();) {
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        char32_t cp;
        const int len = next_sequence(p + i, s.size() - i, cp);
        if (len < 0) fail("{}: text is not valid UTF-8 at byte {}", where, i);
        i += size_t(len);
    }
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xc0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += char(0xe0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    } else {
        out += char(0xf0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3f));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    }
}

std::string utf8_lossy(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t i = 0;
    while (i < bytes.size()) {
        char32_t cp;
        const int len = next_sequence(p + i, bytes.size() - i, cp);
        if (len > 0) {
            out.append(bytes.substr(i, size_t(len)));
            i += size_t(len);
        } else {
            append_utf8(out, 0xfffd);
            i += size_t(-len);
        }
    }
    return out;
}

std::string nfc(std::string_view s, std::string_view where) {
    bool ascii = true;
    for (const char c : s) ascii = ascii && (static_cast<unsigned char>(c) < 0x80);
    if (ascii) return std::string(s);  // ASCII is invariant under NFC
    check_utf8(s, where);  // precise error position for malformed input
    utf8proc_uint8_t* dst = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), utf8proc_ssize_t(s.size()),
                     &dst, utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(dst, &std::free);
    if (n < 0) fail("{}: NFC normalization failed: {}", where, utf8proc_errmsg(n));
    return std::string(reinterpret_cast<const char*>(dst), size_t(n));
}

}  // namespace vlmq::text
