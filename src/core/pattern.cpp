#include "core/pattern.h"

#include <re2/re2.h>

#include "core/error.h"

namespace vlmq {

namespace {

std::string expand(const std::vector<std::string>& groups, std::string_view format) {
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        const char c = format[i];
        if (c != '$' || i + 1 == format.size()) {
            out += c;
            continue;
        }
        const char next = format[i + 1];
        if (next == '$') {
            out += '$';
            ++i;
        } else if (next == '&') {
            out += groups[0];
            ++i;
        } else if (next >= '0' && next <= '9') {
            size_t n = size_t(next - '0'), used = 1;
            if (i + 2 < format.size() && format[i + 2] >= '0' && format[i + 2] <= '9' &&
                n * 10 + size_t(format[i + 2] - '0') < groups.size()) {
                n = n * 10 + size_t(format[i + 2] - '0');
                used = 2;
            }
            if (n > 0 && n < groups.size()) out += groups[n];
            i += used;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

Pattern::Pattern(std::string_view pattern, const std::string& where) : source_(pattern) {
    if (pattern.size() > kMaxPatternBytes)
        fail("{}: regular expression of {} bytes is longer than the {} byte limit", where, pattern.size(),
             kMaxPatternBytes);
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (!re->ok()) fail("{}: invalid regular expression '{}': {}", where, pattern, re->error());
    re_ = std::move(re);
}

bool Pattern::search(std::string_view text) const {
    return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

bool Pattern::full_match(std::string_view text) const {
    return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

std::vector<std::string> Pattern::search_groups(std::string_view text, size_t* begin) const {
    const int n = 1 + re_->NumberOfCapturingGroups();
    std::vector<re2::StringPiece> pieces(static_cast<size_t>(n));
    if (!re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED, pieces.data(), n))
        return {};
    std::vector<std::string> groups;
    for (const auto& p : pieces) groups.emplace_back(p.data() ? std::string(p.data(), p.size()) : std::string());
    if (begin) *begin = pieces[0].data() ? size_t(pieces[0].data() - text.data()) : 0;
    return groups;
}

std::string Pattern::format_match(std::string_view text, std::string_view format) const {
    const auto groups = search_groups(text);
    return groups.empty() ? std::string() : expand(groups, format);
}

std::string Pattern::replace_first(std::string_view text, std::string_view format) const {
    size_t begin = 0;
    const auto groups = search_groups(text, &begin);
    if (groups.empty()) return std::string(text);
    return std::string(text.substr(0, begin)) + expand(groups, format) +
           std::string(text.substr(begin + groups[0].size()));
}

}  // namespace vlmq
