#pragma once
// The user's QuantizationConfig (ADR-001) as a JSON file: a precision (and rounding algorithm) per
// component, per-tensor overrides, component reassignments, calibration and validation settings.
// Unknown keys and bad values are errors naming the file and the key.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json_util.h"
#include "qformat/format.h"

namespace vlmq::quant {

// What a component (or an overridden tensor) should become. `keep` = leave in its source dtype.
struct Precision {
    bool keep = false;
    qformat::Format format;
    std::string algorithm = "rtn";  // rounding algorithm for Int formats: rtn | weighted | gptq | awq

    std::string str() const;  // "int4_g32_sym/rtn", "f16", "keep"
    friend bool operator==(const Precision&, const Precision&) = default;
};

// Parses "int4", "int8", "fp16", "bf16", "fp32", "keep", canonical names like "int4_g64_aff", or an object
// {"bits": 4, "group_size": 32 | 0 | "channel", "symmetric": true, "algorithm": "rtn"}.
Precision parse_precision(const json& value, const std::string& where);
ordered_json precision_json(const Precision& p);

struct ValidationConfig {
    std::string metric = "agreement";  // vqa | exact | agreement | kld
    double min_retention = 0.95;
    std::optional<double> max_kld;
    int samples = 300;
};

struct QuantConfig {
    std::map<std::string, Precision> components;                  // component -> precision
    std::vector<std::pair<std::string, Precision>> overrides;     // tensor regex -> precision (first match wins)
    std::vector<std::pair<std::string, std::string>> reassign;    // tensor regex -> component
    int calibration_samples = 1000;
    ValidationConfig validation;
    std::vector<std::string> order;          // progressive order; empty = largest component first
    std::vector<std::string> fallback_chain;  // formats to try after a failed retry, e.g. ["int8", "fp16"]
    bool per_unit_fallback = false;           // fall back per layer/unit instead of per component
    json source;                              // the parsed file, echoed into manifests

    // A config file equivalent to this one (precisions as canonical objects), e.g. the final progressive config.
    ordered_json to_json() const;

    static QuantConfig load(const std::filesystem::path& path);
    // `where` names the source in errors; `known_components` are the architecture's component names.
    static QuantConfig parse(const json& j, const std::string& where);
    // Fails when the config names a component the architecture does not have, or misses one.
    void check_components(const std::vector<std::string>& known, const std::string& where) const;
};

}  // namespace vlmq::quant
