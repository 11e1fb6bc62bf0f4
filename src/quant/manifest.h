#pragma once
// manifest.json of a .vlmq package: provenance, the config, one entry per tensor, per-component totals.
// No timestamps or absolute paths, so identical inputs give identical bytes.
#include <string>
#include <vector>

#include "core/json_util.h"
#include "io/checkpoint.h"
#include "quant/quantizer.h"

namespace vlmq::quant {

ordered_json build_manifest(const QuantizeReport& report, const QuantConfig& config, const io::Checkpoint& ckpt,
                            const std::vector<std::string>& files);

// Per-component summary and per-tensor rows as JSON (shared by the manifest, `quantize --json` and `inspect`).
ordered_json components_json(const std::vector<ComponentReport>& components);
// JSON number for a possibly infinite value (null when infinite).
ordered_json finite_or_null(double v);

}  // namespace vlmq::quant
