#include "quant/manifest.h"

#include <cmath>

#include "package/package_format.h"

namespace vlmq::quant {

ordered_json finite_or_null(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

ordered_json components_json(const std::vector<ComponentReport>& components) {
    ordered_json out = ordered_json::object();
    for (const auto& c : components) {
        ordered_json j;
        j["tensors"] = c.tensors;
        j["params"] = c.params;
        j["quantized_params"] = c.quantized_params;
        j["bytes_before"] = c.bytes_before;
        j["bytes_after"] = c.bytes_after;
        j["bits_per_weight"] = c.bits_per_weight();
        j["mean_rel_error"] = c.mean_rel_error();
        j["worst_rel_error"] = c.worst_rel_error;
        j["worst_tensor"] = c.worst_tensor;
        out[c.name] = j;
    }
    return out;
}

namespace {

ordered_json files_json(const std::vector<package::FileDigest>& files) {
    ordered_json out = ordered_json::array();
    for (const auto& f : files) out.push_back({{"name", f.name}, {"bytes", f.bytes}, {"hash", f.hash}});
    return out;
}

}  // namespace

ordered_json build_manifest(const QuantizeReport& report, const QuantConfig& config, const io::Checkpoint& ckpt,
                            const package::PackageDigests& digests) {
    ordered_json m;
    m["format"] = package::kFormatName;
    m["version"] = package::kFormatVersion;
    m["vlmq_version"] = VLMQ_VERSION;
    m["source"] = {{"name", ckpt.dir().filename().string().empty() ? ckpt.dir().parent_path().filename().string()
                                                                    : ckpt.dir().filename().string()},
                   {"hash", report.source_hash},
                   {"tensors", report.plan.entries.size()},
                   {"bytes", report.bytes_before}};
    m["config"] = config.source;
    m["files"] = files_json(digests.shards);
    m["side_files"] = files_json(digests.side_files);
    m["components"] = components_json(report.components);
    m["totals"] = {{"params", report.params},
                   {"bytes_before", report.bytes_before},
                   {"bytes_after", report.bytes_after},
                   {"bits_per_weight", report.params ? double(report.bytes_after) * 8.0 / double(report.params) : 0.0}};
    ordered_json tensors = ordered_json::object();
    for (const auto& t : report.tensors) {
        const PlanEntry& e = *t.entry;
        ordered_json j;
        j["component"] = e.component;
        j["shape"] = e.tensor.shape;
        j["source_dtype"] = std::string(dtype_name(e.tensor.dtype));
        j["format"] = e.keep ? std::string("keep") : e.precision.format.name();
        if (!e.keep && e.precision.format.is_int()) {
            j["algorithm"] = t.algorithm ? rounding::algorithm_name(*t.algorithm) : "";
            if (t.algorithm != e.precision.algorithm)
                j["algorithm_requested"] = rounding::algorithm_name(e.precision.algorithm);
        }
        j["file"] = t.file;
        j["bytes"] = t.stored_bytes;
        j["hash"] = digests.tensors.at(e.tensor.name);
        j["rel_error"] = t.rel_error;
        j["sqnr_db"] = finite_or_null(t.sqnr_db);
        if (!e.note.empty()) j["fallback"] = e.note;
        j["reason"] = e.why();
        tensors[e.tensor.name] = j;
    }
    m["tensors"] = tensors;
    return m;
}

}  // namespace vlmq::quant
