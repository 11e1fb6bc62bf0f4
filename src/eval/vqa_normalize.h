#pragma once
// Answer normalization for VQA scoring (docs/eval.md, shared docs vqa-scoring.md §1.3–1.4, §2.1).
//
// official: GT-Vision-Lab vqaEval.py (HEAD a013f00): whitespace cleanup, punctuation processing with
//           its period-regex bug, then digit/article/contraction processing. The VQA scorer applies it
//           only when a question's GT answers disagree (see vqa_score.h); normalize() applies it always.
// evalai:   the EvalAI/MMF processor used by LLaVA's m4c_evaluator and lmms-eval: pre-tokenize
//           (lowercase, drop ',' '?', "'s" -> " 's") then the same two steps; always applied.
// none:     whitespace cleanup only.
//
// Text is UTF-8; lowercasing and whitespace follow Python's str.lower()/str.split() (simple case
// mapping via utf8proc), while regex digits (\d) are ASCII 0-9 as in the Python 2 original.
#include <string>
#include <string_view>

namespace vlmq::eval {

enum class Normalizer { none, official, evalai };

std::string_view normalizer_name(Normalizer n);
// Accepts "none", "official", "evalai"; fails naming `where` otherwise.
Normalizer parse_normalizer(std::string_view name, std::string_view where);

// '\n' and '\t' -> ' ', then strip leading/trailing whitespace.
std::string clean_whitespace(std::string_view text);
// Official punctuation step (§1.3a): 21-character list, comma-digit switch, period regex (≤ 32 removals).
std::string process_punctuation(std::string_view text);
// Official digit/article/contraction step (§1.3b): lowercase, split, number words, drop a/an/the, contractions.
std::string process_digit_article(std::string_view text);

// Full normalization of one answer under `n` (official: clean + punctuation + digit/article, unconditionally).
std::string normalize(Normalizer n, std::string_view text);

// The contraction table (120 entries, §1.4). Returns the mapped token or the token itself.
std::string_view map_contraction(std::string_view token);
int contraction_count();

}  // namespace vlmq::eval
