#pragma once
// An architecture's tensor table: ordered rules mapping tensor names to a component and a role.
// The quantizer reads only this table (plus the config); it knows nothing about any model's internals.
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/json_util.h"
#include "core/pattern.h"

namespace vlmq::arch {

enum class TensorRole {
    Weight,   // a matrix (or conv kernel) the mixing policy may quantize
    Keep,     // stored exactly as in the source: norms, biases, BN statistics/counters, layer scales
};

struct ArchRule {
    std::string pattern;    // regex (core/pattern.h) searched in the full tensor name
    std::string component;  // e.g. "vision_encoder"
};

// AWQ channel scaling needs an operation in front of a group of linears that can absorb 1/s per input
// channel: a norm gain/bias (Vector: element j divided by s_j) or the output rows of a preceding linear
// (Rows: the last K rows divided, K = the consumers' input width).
struct ScaleProducer {
    enum class Kind { Vector, Rows };
    std::string name;  // regex replacement template over the consumer's name, e.g. "$1.input_layernorm.weight"
    Kind kind = Kind::Vector;
};

struct ScaleGroupRule {
    std::string consumer_pattern;  // regex matched against a weight name (with capture groups)
    std::string group;             // replacement template naming the shared input, e.g. "$1.attn_input"
    std::vector<ScaleProducer> producers;
};

// Tensors that data-aware algorithms leave to RTN, with the measured reason (shown as the plan entry's note).
struct RtnOnlyRule {
    std::string pattern;  // regex over weight names
    std::string why;
};

struct ArchTable {
    std::string name;                     // e.g. "fastvlm"
    std::vector<std::string> components;  // all component names, in report order
    std::vector<ArchRule> rules;          // first match wins; a tensor no rule claims is an error
    std::vector<std::string> keep_patterns;  // names matching these are never quantized
    // Regex with one capture group giving a tensor's "unit" (e.g. a decoder layer), used for per-unit fallback.
    std::vector<std::string> unit_patterns;
    std::vector<ScaleGroupRule> scale_groups;
    std::vector<RtnOnlyRule> rtn_only;
};

// Compiled form for repeated lookups.
class ArchMatcher {
public:
    explicit ArchMatcher(ArchTable table);
    const ArchTable& table() const { return table_; }
    // The component owning `name`; std::nullopt when no rule matches.
    std::optional<std::string> component_of(const std::string& name) const;
    // Keep for non-float dtypes, tensors with fewer than two dims larger than 1, and keep_patterns.
    TensorRole role_of(const std::string& name, DType dtype, const std::vector<int64_t>& shape) const;
    // "" when no unit pattern matches.
    std::string unit_of(const std::string& name) const;

private:
    ArchTable table_;
    std::vector<Pattern> rules_, keep_, units_;
};

// `text` as a regex matching exactly that text (metacharacters escaped), to build rules from names.
std::string regex_literal(std::string_view text);
// (?:a|b|...) over literal texts.
std::string regex_any_of(std::initializer_list<std::string_view> texts);

// The architecture table for a checkpoint's config.json (by model_type / architectures); fails for unknown ones.
ArchTable arch_table_for_config(const json& config, const std::string& where);
// The same for the config.json of a checkpoint or package directory.
ArchTable arch_table_for_dir(const std::filesystem::path& dir);

}  // namespace vlmq::arch
