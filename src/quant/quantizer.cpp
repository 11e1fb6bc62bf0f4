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
#include "package/package_format.h"
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

// Output tensors of one plan entry.
std::vector<io::TensorDecl> stored_decls(const PlanEntry& e) {
    const std::string& name = e.tensor.name;
    if (e.keep) return {e.tensor};
    const qformat::Format& f = e.precision.format;
    switch (f.encoding) {
        case qformat::Encoding::F32: return {{name, DType::F32, e.tensor.shape}};
        case qformat::Encoding::F16: return {{name, DType::F16, e.tensor.shape}};
        case qformat::Encoding::BF16: return {{name, DType::BF16, e.tensor.shape}};
        case qformat::Encoding::Int: break;
    }
    const qformat::Layout l = qformat::layout_of(f, e.rows, e.cols);
    std::vector<io::TensorDecl> out{{name, DType::U8, {e.rows, l.row_bytes}},
                                    {package::scales_name(name), DType::F16, {e.rows, l.groups_per_row}}};
    if (!f.symmetric) out.push_back({package::biases_name(name), DType::F16, {e.rows, l.groups_per_row}});
    return out;
}

void summarize(QuantizeReport& r) {
    std::map<std::string, ComponentReport> by;
    for (const auto& c : r.plan.components) by[c].name = c;
    std::map<std::string, double> weighted_err;
    for (const auto& t : r.tensors) {
        const PlanEntry& e = *t.entry;
        ComponentReport& c = by[e.component];
        c.name = e.component;
        const int64_t n = numel(e.tensor.shape);
        c.tensors += 1;
        if (dtype_is_float(e.tensor.dtype)) c.params += n;
        c.bytes_before += e.source_bytes();
        c.bytes_after += t.stored_bytes;
        if (!e.keep) {
            c.quantized_params += n;
            weighted_err[e.component] += t.rel_error * double(n);
            if (t.rel_error > c.worst_rel_error) {
                c.worst_rel_error = t.rel_error;
                c.worst_tensor = e.tensor.name;
            }
        }
    }
    r.components.clear();
    for (const auto& name : r.plan.components) {
        ComponentReport c = by[name];
        if (c.quantized_params) c.mean_rel_error = weighted_err[name] / double(c.quantized_params);
        r.params += c.params;
        r.bytes_before += c.bytes_before;
        r.bytes_after += c.bytes_after;
        r.components.push_back(c);
    }
}

uint64_t directory_bytes(const fs::path& dir) {
    uint64_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) n += e.file_size();
    return n;
}

}  // namespace

QuantizeReport quantize_checkpoint(const io::Checkpoint& ckpt, const QuantConfig& config, const fs::path& out,
                                   const Compute& compute, const QuantizeOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    QuantizeReport report;
    const arch::ArchTable arch = arch::arch_table_for_config(ckpt.config(), (ckpt.dir() / "config.json").string());
    report.plan = make_plan(checkpoint_tensors(ckpt), arch, config);
    if (options.stats) plan_awq(report.plan, ckpt, arch, *options.stats, compute);

    // Shards: entries in plan order until the size limit.
    std::vector<std::vector<size_t>> shard_entries(1);
    uint64_t shard_bytes = 0;
    for (size_t i = 0; i < report.plan.entries.size(); ++i) {
        const uint64_t b = uint64_t(report.plan.entries[i].stored_bytes());
        if (shard_bytes > 0 && shard_bytes + b > options.max_shard_bytes) {
            shard_entries.emplace_back();
            shard_bytes = 0;
        }
        shard_entries.back().push_back(i);
        shard_bytes += b;
    }
    const size_t n_shards = shard_entries.size();
    auto shard_file = [&](size_t s) {
        return n_shards == 1 ? std::string("model.safetensors")
                             : fmt::format("model-{:05}-of-{:05}.safetensors", s + 1, n_shards);
    };

    StagingDir stage(out);
    report.tensors.resize(report.plan.entries.size());
    int64_t total_mb = 0;
    for (const auto& e : report.plan.entries) total_mb += e.source_bytes();
    Progress bar("quantize", int64_t(report.plan.entries.size()), "tensors", options.progress);
    TensorQuantizer tq(compute, options.stats, &report.plan.awq);
    std::map<std::string, uint64_t> tensor_hashes;
    for (size_t s = 0; s < n_shards; ++s) {
        std::vector<io::TensorDecl> decls;
        for (size_t i : shard_entries[s])
            for (auto& d : stored_decls(report.plan.entries[i])) decls.push_back(std::move(d));
        io::SafetensorsWriter writer(stage.path() / shard_file(s), decls, {{"format", "vlmq"}});
        for (size_t i : shard_entries[s]) {
            const PlanEntry& e = report.plan.entries[i];
            TensorReport& tr = report.tensors[i];
            tr.entry = &e;
            tr.file = shard_file(s);
            const io::TensorRef& src = ckpt.at(e.tensor.name);
            const TensorError err = with_context("quantizing tensor '" + e.tensor.name + "'",
                                                 [&] { return tq.quantize(e, src.bytes(), writer); });
            src.release();
            tensor_hashes[e.tensor.name] = err.source_hash;
            tr.rel_error = err.rel_error();
            tr.algorithm = err.algorithm;
            tr.sqnr_db = err.sqnr_db();
            for (const auto& d : stored_decls(e)) tr.stored_bytes += int64_t(writer.tensor_bytes(d.name));
            bar.advance(1, e.tensor.name);
        }
        writer.finish();
    }
    bar.finish();
    report.source_hash = checkpoint_hash(ckpt, tensor_hashes);

    for (const auto& f : ckpt.side_files()) fs::copy_file(f, stage.path() / f.filename());
    summarize(report);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::string> files;
    for (size_t s = 0; s < n_shards; ++s) files.push_back(shard_file(s));
    ordered_json manifest = build_manifest(report, config, ckpt, files);
    for (auto it = options.extra_manifest.begin(); it != options.extra_manifest.end(); ++it) manifest[it.key()] = *it;
    write_file_atomic(stage.path() / package::kManifestName, json_dump(manifest));
    report.package_bytes = directory_bytes(stage.path());
    stage.commit();
    return report;
}

}  // namespace vlmq::quant
