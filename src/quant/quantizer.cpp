#include "quant/quantizer.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/progress.h"
#include "core/shape.h"
#include "arch/arch_table.h"
#include "package/writer.h"
#include "quant/awq_transform.h"
#include "quant/manifest.h"
#include "quant/tensor_quantizer.h"

namespace vlmq::quant {

namespace fs = std::filesystem;

std::vector<TensorMeta> checkpoint_tensors(const io::Checkpoint& ckpt) {
    std::vector<TensorMeta> out;
    for (const auto& name : ckpt.names()) {
        const io::TensorInfo& t = *ckpt.at(name).info;
        out.push_back({t.name, t.dtype, t.shape});
    }
    return out;
}

std::string checkpoint_hash(const io::Checkpoint& ckpt, const std::map<std::string, uint64_t>& tensor_hashes) {
    XXH3_state_t* st = XXH3_createState();
    XXH3_128bits_reset(st);
    const std::string config = read_text_file(ckpt.dir() / "config.json");
    XXH3_128bits_update(st, config.data(), config.size());
    for (const auto& f : ckpt.files()) {
        const auto header = f->header_bytes();
        XXH3_128bits_update(st, header.data(), header.size());
    }
    for (const auto& name : ckpt.names()) {
        auto it = tensor_hashes.find(name);
        const uint64_t h = it != tensor_hashes.end() ? it->second : tensor_content_hash(ckpt.at(name).bytes(), nullptr);
        XXH3_128bits_update(st, &h, sizeof h);
    }
    const XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return fmt::format("xxh3-128:{:016x}{:016x}", h.high64, h.low64);
}

namespace {

package::TensorSpec spec_of(const PlanEntry& e) {
    return {e.tensor, e.keep ? std::nullopt : std::optional<qformat::Format>(e.precision.format)};
}

void summarize(QuantizeReport& r) {
    std::vector<package::SourceTensor> rows;
    for (const auto& t : r.tensors) {
        const PlanEntry& e = *t.entry;
        rows.push_back({e.tensor.name, e.component, e.tensor.shape, e.tensor.dtype, e.keep, e.precision.format,
                        t.stored_bytes, t.rel_error});
    }
    r.components = package::summarize_components(r.plan.components, rows);
    for (const auto& c : r.components) {
        r.params += c.params;
        r.bytes_before += c.bytes_before;
        r.bytes_after += c.bytes_after;
    }
}

}  // namespace

QuantizeReport quantize_checkpoint(const io::Checkpoint& ckpt, const QuantConfig& config, const fs::path& out,
                                   const Compute& compute, const QuantizeOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    QuantizeReport report;
    const arch::ArchTable arch = arch::arch_table_for_config(ckpt.config(), (ckpt.dir() / "config.json").string());
    report.plan = make_plan(checkpoint_tensors(ckpt), arch, config);
    if (options.stats) {
        plan_awq(report.plan, ckpt, arch, *options.stats, compute);
        note_statistics_fallbacks(report.plan, *options.stats);
    }

    std::vector<package::TensorSpec> specs;
    for (const auto& e : report.plan.entries) specs.push_back(spec_of(e));
    package::PackageWriter package(out, std::move(specs), options.max_shard_bytes, options.force);

    report.tensors.resize(report.plan.entries.size());
    Progress bar("quantize", int64_t(report.plan.entries.size()), "tensors", options.progress);
    TensorQuantizer tq(compute, options.stats, &report.plan.awq);
    std::map<std::string, uint64_t> tensor_hashes;
    for (size_t s = 0; s < package.shard_count(); ++s) {
        io::SafetensorsWriter writer = package.open_shard(s);
        for (size_t i : package.shard_tensors(s)) {
            const PlanEntry& e = report.plan.entries[i];
            TensorReport& tr = report.tensors[i];
            tr.entry = &e;
            tr.file = package.shard_file(s);
            const io::TensorRef& src = ckpt.at(e.tensor.name);
            const TensorError err = with_context("quantizing tensor '" + e.tensor.name + "'",
                                                 [&] { return tq.quantize(e, src.bytes(), writer); });
            src.release();
            tensor_hashes[e.tensor.name] = err.source_hash;
            tr.rel_error = err.rel_error();
            tr.algorithm = err.algorithm;
            tr.sqnr_db = err.sqnr_db();
            for (const auto& d : package::stored_decls(spec_of(e))) tr.stored_bytes += int64_t(writer.tensor_bytes(d.name));
            bar.advance(1, e.tensor.name);
        }
        writer.finish();
    }
    bar.finish();
    report.source_hash = checkpoint_hash(ckpt, tensor_hashes);

    for (const auto& f : ckpt.side_files()) package.copy_side_file(f);
    summarize(report);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ordered_json manifest = build_manifest(report, config, ckpt, package.digests());
    for (auto it = options.extra_manifest.begin(); it != options.extra_manifest.end(); ++it) manifest[it.key()] = *it;
    report.package_bytes = package.commit(manifest);
    return report;
}

}  // namespace vlmq::quant
