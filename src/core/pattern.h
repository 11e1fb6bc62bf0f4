#pragma once
// Regular expressions over tensor names, matched in time linear in the name (RE2): a user's pattern such as
// "^(([a-z0-9_.]+)+)+X$" cannot backtrack catastrophically. The syntax is the common subset of ECMAScript
// and RE2 (classes, groups, (?:...), alternation, anchors, repetition); backreferences and lookaround are
// rejected as invalid patterns.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace vlmq {

inline constexpr size_t kMaxPatternBytes = 4096;

class Pattern {
public:
    // Fails "<where>: invalid regular expression '<pattern>': <reason>".
    Pattern(std::string_view pattern, const std::string& where);

    const std::string& source() const { return source_; }
    // A match anywhere in `text` (std::regex_search).
    bool search(std::string_view text) const;
    // The whole of `text` matches (std::regex_match).
    bool full_match(std::string_view text) const;
    // The groups of the leftmost match, [0] = the whole match ("" for a group that did not take part);
    // empty when there is no match. `begin` (if given) receives the match's offset in `text`.
    std::vector<std::string> search_groups(std::string_view text, size_t* begin = nullptr) const;
    // `format` with $1..$99 replaced by the groups of the leftmost match, $& by the match and $$ by '$'
    // (std::match_results::format); "" when there is no match.
    std::string format_match(std::string_view text, std::string_view format) const;
    // `text` with its leftmost match replaced by format_match (std::regex_replace, format_first_only).
    std::string replace_first(std::string_view text, std::string_view format) const;

private:
    std::string source_;
    std::shared_ptr<const re2::RE2> re_;
};

}  // namespace vlmq
