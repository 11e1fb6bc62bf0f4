#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "cli_common.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "arch/arch_table.h"
#include "package/component_summary.h"
#include "package/source.h"
#include "package/writer.h"
#include "package/package_reader.h"
#include "quant/plan.h"
#include "quant/report_format.h"

namespace vlmq::cli {

namespace fs = std::filesystem;

namespace {

struct Row {
    package::ComponentSummary summary;
    std::set<std::string> kinds;  // dtypes or formats
};

// Per-component rows of a checkpoint (kinds: dtypes) or a package (kinds: formats, "keep:<dtype>").
std::map<std::string, Row> component_rows(const package::Source& src) {
    std::map<std::string, Row> rows;
    for (auto& c : package::summarize_components(src.components, src.tensors)) rows[c.name].summary = c;
    for (const auto& t : src.tensors) {
        const std::string dtype(dtype_name(t.source_dtype));
        if (src.kind == package::SourceKind::Checkpoint)
            rows[t.component].kinds.insert(dtype);
        else
            rows[t.component].kinds.insert(t.keep ? "keep:" + dtype : t.format.name());
    }
    return rows;
}

std::string join(const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ",") + x;
    return out;
}

void print_rows(const std::vector<std::string>& order, std::map<std::string, Row>& rows, bool package, bool as_json,
                ordered_json& j) {
    int64_t total_params = 0, total_bytes = 0, total_tensors = 0;
    for (const auto& c : order) {
        total_params += rows[c].summary.params;
        total_bytes += rows[c].summary.bytes_after;
        total_tensors += rows[c].summary.tensors;
    }
    ordered_json comps = ordered_json::object();
    if (!as_json)
        fmt::print("{:<16} {:>7} {:>10} {:>7} {:>11} {:>7} {}\n", "component", "tensors", "params", "share",
                   "bytes (MB)", "bits/w", package ? "formats (mean/worst rel err)" : "dtypes");
    for (const auto& c : order) {
        const package::ComponentSummary& r = rows[c].summary;
        const double share = total_params ? 100.0 * double(r.params) / double(total_params) : 0.0;
        const double bpw = r.bits_per_weight();
        const double mean_err = r.mean_rel_error();
        ordered_json cj = {{"tensors", r.tensors}, {"params", r.params}, {"param_share", share},
                           {"bytes", r.bytes_after}, {"bits_per_weight", bpw}};
        if (package) {
            cj["formats"] = rows[c].kinds;
            cj["mean_rel_error"] = mean_err;
            cj["worst_rel_error"] = r.worst_rel_error;
        } else {
            cj["dtypes"] = rows[c].kinds;
        }
        comps[c] = cj;
        if (!as_json)
            fmt::print("{:<16} {:>7} {:>10} {:>6.1f}% {:>11} {:>7.2f} {}{}\n", c, r.tensors,
                       quant::format_params(double(r.params)), share, quant::format_mb(double(r.bytes_after)), bpw,
                       join(rows[c].kinds),
                       package && r.quantized_params ? fmt::format(" ({:.4f}/{:.4f})", mean_err, r.worst_rel_error)
                                                     : std::string());
    }
    if (!as_json)
        fmt::print("{:<16} {:>7} {:>10} {:>7} {:>11} {:>7.2f}\n", "total", total_tensors,
                   quant::format_params(double(total_params)), "", quant::format_mb(double(total_bytes)),
                   total_params ? double(total_bytes) * 8.0 / double(total_params) : 0.0);
    j["components"] = comps;
    j["totals"] = {{"tensors", total_tensors}, {"params", total_params}, {"tensor_bytes", total_bytes}};
}

void inspect_checkpoint(const package::Source& src, bool as_json) {
    const fs::path& dir = src.dir;
    std::map<std::string, Row> rows = component_rows(src);
    ordered_json j;
    j["path"] = dir.string();
    j["kind"] = "checkpoint";
    j["architecture"] = src.architecture;
    if (!as_json)
        fmt::print("{}: {} checkpoint, {} file(s)\n", dir.string(), src.architecture, src.checkpoint->files().size());
    print_rows(src.components, rows, false, as_json, j);
    const uint64_t on_disk = package::directory_bytes(dir);
    j["files_bytes"] = on_disk;
    if (as_json)
        fmt::print("{}", json_dump(j));
    else
        fmt::print("files on disk: {} bytes ({} MB)\n", on_disk, quant::format_mb(double(on_disk)));
}

void inspect_package(const package::Source& src, bool as_json) {
    const fs::path& dir = src.dir;
    const package::Package& pkg = *src.package;
    std::map<std::string, Row> rows = component_rows(src);
    int64_t stored = 0;
    for (const auto& t : src.tensors) stored += t.bytes;
    ordered_json j;
    j["path"] = dir.string();
    j["kind"] = "package";
    j["source"] = pkg.manifest().value("source", json::object());
    if (!as_json)
        fmt::print("{}: vlmq package of {} (source {})\n", dir.string(), src.architecture,
                   pkg.manifest().value("source", json::object()).value("hash", "?"));
    print_rows(src.components, rows, true, as_json, j);
    uint64_t shard_bytes = 0;
    for (const auto& f : pkg.shards()) shard_bytes += f.bytes;
    const uint64_t on_disk = package::directory_bytes(dir);
    j["safetensors_bytes"] = shard_bytes;
    j["files_bytes"] = on_disk;
    if (pkg.manifest().contains("validation")) j["validation"] = pkg.manifest()["validation"];
    if (as_json) {
        fmt::print("{}", json_dump(j));
        return;
    }
    fmt::print("safetensors files: {} bytes (tensor data {} + headers {})\n", shard_bytes, stored,
               int64_t(shard_bytes) - stored);
    fmt::print("package on disk: {} bytes ({} MB) incl. manifest, config and tokenizer\n", on_disk,
               quant::format_mb(double(on_disk)));
}

}  // namespace

void add_inspect_command(CLI::App& app, GlobalOptions& global) {
    struct Options {
        std::string path;
        bool json = false;
    };
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("inspect", "Show per-component tensors, parameters, bytes and formats of a "
                                              "checkpoint or .vlmq package");
    cmd->add_option("path", opt->path, "Checkpoint directory or .vlmq package")->required();
    cmd->add_flag("--json", opt->json, "Machine-readable JSON");
    cmd->callback([opt, &global] {
        const package::Source src = package::open_source(opt->path, verify_options(global));
        if (src.kind == package::SourceKind::Package)
            inspect_package(src, opt->json);
        else
            inspect_checkpoint(src, opt->json);
    });
}

}  // namespace vlmq::cli
