#pragma once
// Added tokens (e.g. <|im_start|>) are matched in the raw text before normalization and BPE:
// at the leftmost position where any matches, the longest one wins.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmq::text {

struct AddedToken {
    int32_t id = 0;
    std::string content;
    bool special = false;
    bool lstrip = false;  // the match also swallows white space on its left
    bool rstrip = false;  // ... and on its right
};

// A piece of input text: either plain text (id < 0) or one added token.
struct Segment {
    std::string_view text;
    int32_t id = -1;
};

class AddedTokenMatcher {
public:
    AddedTokenMatcher() = default;
    explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

    std::vector<Segment> split(std::string_view text) const;
    const std::vector<AddedToken>& tokens() const { return tokens_; }

private:
    std::vector<AddedToken> tokens_;
    std::array<std::vector<uint32_t>, 256> by_first_byte_;  // token indices, longest content first
};

}  // namespace vlmq::text
