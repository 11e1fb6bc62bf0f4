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

#include "arch/arch_table.h"
#include "core/json_util.h"
#include "qformat/format.h"
#include "rounding/rounding.h"

namespace vlmq::quant {

// The ADR's size criterion: packages under 500 MB.
inline constexpr int64_t kAdrTargetSizeBytes = 500'000'000;
// The most samples a config (calibration_samples, validation.samples) or a --*samples option may ask for.
inline constexpr int64_t kMaxSamples = 10'000'000;

// What a component (or an overridden tensor) should become. `keep` = leave in its source dtype.
struct Precision {
    bool keep = false;
    qformat::Format format;
    rounding::Algorithm algorithm = rounding::Algorithm::Rtn;  // for Int formats

    std::string str() const;  // "int4_g32_sym/rtn", "f16", "keep"
    friend bool operator==(const Precision&, const Precision&) = default;
};

// Parses "int4", "int8", "fp16", "bf16", "fp32", "keep", canonical names like "int4_g64_aff", or an object
// {"bits": 4, "group_size": 32 | 0 | "channel", "symmetric": true, "algorithm": "rtn"}.
Precision parse_precision(const json& value, const std::string& where);
ordered_json precision_json(const Precision& p);

// What a validation step compares: answers equal to the unquantized model's (needs no labels), official VQA
// accuracy or exact match against the labels, or the mean KL divergence to the unquantized model.
enum class ValidationMetric { Agreement, Vqa, Exact, Kld };
std::string metric_name(ValidationMetric m);
bool metric_needs_labels(ValidationMetric m);

struct ValidationConfig {
    ValidationMetric metric = ValidationMetric::Agreement;
    double min_retention = 0.95;
    std::optional<double> max_kld;
    int samples = 300;
    // Validate with int8 activations in products with int weights (W8A8) instead of the deployed weight-only
    // numerics; `--int8-activations` turns it on too.
    bool int8_activations = false;
};

// One rung of the fallback chain: the precision, and its name as the config spells it (echoed back).
struct FallbackRung {
    std::string name;
    Precision precision;
    friend bool operator==(const FallbackRung&, const FallbackRung&) = default;
};

// Fields are named like the config keys they come from.
struct QuantConfig {
    std::map<std::string, Precision> components;                  // component -> precision
    std::vector<std::pair<std::string, Precision>> overrides;     // tensor regex -> precision (first match wins)
    std::vector<std::pair<std::string, std::string>> assign;      // tensor regex -> component
    int calibration_samples = 1000;
    ValidationConfig validation;
    std::vector<std::string> order;     // progressive order; empty = largest component first
    std::vector<FallbackRung> fallback;  // precisions to try after a failed retry, e.g. int8, fp16
    bool per_layer_fallback = false;     // fall back per unit (layer, block) instead of per component
    json source;                              // the parsed file, echoed into manifests

    // A config file equivalent to this one (precisions as canonical objects), e.g. the final progressive config.
    ordered_json to_json() const;

    // `where` names the source in errors. Besides the config keys, the top level takes the component names
    // of `arch` (and "components" any of them); anything else is an error naming the key.
    static QuantConfig load(const std::filesystem::path& path, const arch::ArchTable& arch);
    static QuantConfig parse(const json& j, const std::string& where, const arch::ArchTable& arch);
    // Fails when the config names a component the architecture does not have.
    void check_components(const arch::ArchTable& arch, const std::string& where) const;
};

// Override regex matching every tensor of a unit ("model.layers.3" -> "^model\\.layers\\.3\\.").
std::string unit_regex(const std::string& unit);

}  // namespace vlmq::quant
