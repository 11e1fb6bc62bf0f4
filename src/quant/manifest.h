#pragma once
// manifest.json of a .vlmq package: provenance, the config, one entry per tensor, per-component totals.
// No timestamps or absolute paths, so identical inputs give identical bytes.
#include <string>
#include <vector>

#include "core/json_util.h"
#include "io/checkpoint.h"
#include "package/writer.h"
#include "quant/quantizer.h"

namespace vlmq::quant {

// `digests`: the hashes of the written files and tensors (PackageWriter::digests), checked before every use.
ordered_json build_manifest(const QuantizeReport& report, const QuantConfig& config, const io::Checkpoint& ckpt,
                            const package::PackageDigests& digests);

// Per-component summary and per-tensor rows as JSON (shared by the manifest, `quantize --json` and `inspect`).
ordered_json components_json(const std::vector<ComponentReport>& components);
// JSON number for a possibly infinite value (null when infinite).
ordered_json finite_or_null(double v);

}  // namespace vlmq::quant
