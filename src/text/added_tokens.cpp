#include "text/added_tokens.h"

#include <algorithm>

#include "text/pretokenize.h"
#include "text/utf8.h"

namespace vlmq::text {

namespace {

// Length of the UTF-8 white space sequence ending at / starting at a byte offset (0 if none).
size_t space_before(std::string_view s, size_t end) {
    size_t begin = end;
    while (begin > 0) {
        size_t k = begin - 1;
        while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xc0) == 0x80) --k;
        const CodePoints cp = decode_utf8(s.substr(k, begin - k), "added token");
        if (cp.cps.size() != 1 || !is_white_space(cp.cps[0])) break;
        begin = k;
    }
    return end - begin;
}

size_t space_after(std::string_view s, size_t begin) {
    size_t end = begin;
    while (end < s.size()) {
        size_t k = end + 1;
        while (k < s.size() && (static_cast<unsigned char>(s[k]) & 0xc0) == 0x80) ++k;
        const CodePoints cp = decode_utf8(s.substr(end, k - end), "added token");
        if (cp.cps.size() != 1 || !is_white_space(cp.cps[0])) break;
        end = k;
    }
    return end - begin;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
    for (uint32_t i = 0; i < tokens_.size(); ++i)
        if (!tokens_[i].content.empty())
            by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
    for (auto& list : by_first_byte_)
        std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
            return tokens_[a].content.size() > tokens_[b].content.size();
        });
}

std::vector<Segment> AddedTokenMatcher::split(std::string_view text) const {
    std::vector<Segment> out;
    size_t done = 0;  // text before this offset has been emitted
    for (size_t i = 0; i < text.size(); ++i) {
        const auto& candidates = by_first_byte_[static_cast<unsigned char>(text[i])];
        const AddedToken* hit = nullptr;
        for (const uint32_t c : candidates) {
            if (text.substr(i).starts_with(tokens_[c].content)) {
                hit = &tokens_[c];
                break;
            }
        }
        if (!hit) continue;
        size_t begin = i, end = i + hit->content.size();
        if (hit->lstrip) begin -= std::min(space_before(text, begin), begin - done);
        if (hit->rstrip) end += space_after(text, end);
        if (begin > done) out.push_back({text.substr(done, begin - done), -1});
        out.push_back({text.substr(begin, end - begin), hit->id});
        done = end;
        i = end - 1;
    }
    if (done < text.size()) out.push_back({text.substr(done), -1});
    return out;
}

}  // namespace vlmq::text
