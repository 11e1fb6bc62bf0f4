#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "cli_common.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "arch/arch_table.h"
#include "package/package_format.h"
#include "package/package_reader.h"
#include "quant/plan.h"
#include "quant/report_format.h"

namespace vlmq::cli {

namespace fs = std::filesystem;

namespace {

struct Row {
    int64_t tensors = 0, params = 0, bytes = 0, quantized = 0;
    double err_weighted = 0.0, worst = 0.0;
    std::set<std::string> kinds;  // dtypes or formats
};

uint64_t files_bytes(const fs::path& dir) {
    uint64_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) n += e.file_size();
    return n;
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
        total_params += rows[c].params;
        total_bytes += rows[c].bytes;
        total_tensors += rows[c].tensors;
    }
    ordered_json comps = ordered_json::object();
    if (!as_json)
        fmt::print("{:<16} {:>7} {:>10} {:>7} {:>11} {:>7} {}\n", "component", "tensors", "params", "share",
                   "bytes (MB)", "bits/w", package ? "formats (mean/worst rel err)" : "dtypes");
    for (const auto& c : order) {
        const Row& r = rows[c];
        const double share = total_params ? 100.0 * double(r.params) / double(total_params) : 0.0;
        const double bpw = r.params ? double(r.bytes) * 8.0 / double(r.params) : 0.0;
        const double mean_err = r.quantized ? r.err_weighted / double(r.quantized) : 0.0;
        ordered_json cj = {{"tensors", r.tensors}, {"params", r.params}, {"param_share", share},
                           {"bytes", r.bytes},     {"bits_per_weight", bpw}};
        if (package) {
            cj["formats"] = r.kinds;
            cj["mean_rel_error"] = mean_err;
            cj["worst_rel_error"] = r.worst;
        } else {
            cj["dtypes"] = r.kinds;
        }
        comps[c] = cj;
        if (!as_json)
            fmt::print("{:<16} {:>7} {:>10} {:>6.1f}% {:>11} {:>7.2f} {}{}\n", c, r.tensors,
                       quant::format_params(double(r.params)), share, quant::format_mb(double(r.bytes)), bpw,
                       join(r.kinds),
                       package && r.quantized ? fmt::format(" ({:.4f}/{:.4f})", mean_err, r.worst) : std::string());
    }
    if (!as_json)
        fmt::print("{:<16} {:>7} {:>10} {:>7} {:>11} {:>7.2f}\n", "total", total_tensors,
                   quant::format_params(double(total_params)), "", quant::format_mb(double(total_bytes)),
                   total_params ? double(total_bytes) * 8.0 / double(total_params) : 0.0);
    j["components"] = comps;
    j["totals"] = {{"tensors", total_tensors}, {"params", total_params}, {"tensor_bytes", total_bytes}};
}

void inspect_checkpoint(const fs::path& dir, bool as_json) {
    const io::Checkpoint ckpt(dir);
    const auto arch = arch::arch_table_for_config(ckpt.config(), (dir / "config.json").string());
    const arch::ArchMatcher matcher(arch);
    std::map<std::string, Row> rows;
    for (const auto& name : ckpt.names()) {
        const io::TensorInfo& t = *ckpt.at(name).info;
        auto comp = matcher.component_of(name);
        if (!comp) fail("{}: tensor '{}' is not claimed by any rule of the '{}' table", dir.string(), name, arch.name);
        Row& r = rows[*comp];
        r.tensors += 1;
        if (dtype_is_float(t.dtype)) r.params += t.numel();
        r.bytes += int64_t(t.nbytes());
        r.kinds.insert(std::string(dtype_name(t.dtype)));
    }
    ordered_json j;
    j["path"] = dir.string();
    j["kind"] = "checkpoint";
    j["architecture"] = arch.name;
    if (!as_json) fmt::print("{}: {} checkpoint, {} file(s)\n", dir.string(), arch.name, ckpt.files().size());
    print_rows(arch.components, rows, false, as_json, j);
    const uint64_t on_disk = files_bytes(dir);
    j["files_bytes"] = on_disk;
    if (as_json)
        fmt::print("{}", json_dump(j));
    else
        fmt::print("files on disk: {} bytes ({} MB)\n", on_disk, quant::format_mb(double(on_disk)));
}

void inspect_package(const fs::path& dir, bool as_json) {
    const package::Package pkg(dir);
    const auto arch = arch::arch_table_for_config(pkg.config(), (dir / "config.json").string());
    std::map<std::string, Row> rows;
    int64_t stored = 0;
    for (const auto& [name, t] : pkg.tensors()) {
        Row& r = rows[t.component];
        r.tensors += 1;
        int64_t n = 1;
        for (int64_t d : t.shape) n *= d;
        if (dtype_is_float(t.source_dtype)) r.params += n;
        r.bytes += t.bytes;
        stored += t.bytes;
        r.kinds.insert(t.keep ? std::string("keep:") + std::string(dtype_name(t.source_dtype)) : t.format.name());
        if (!t.keep) {
            r.quantized += n;
            r.err_weighted += t.rel_error * double(n);
            r.worst = std::max(r.worst, t.rel_error);
        }
    }
    ordered_json j;
    j["path"] = dir.string();
    j["kind"] = "package";
    j["source"] = pkg.manifest().value("source", json::object());
    if (!as_json)
        fmt::print("{}: vlmq package of {} (source {})\n", dir.string(), arch.name,
                   pkg.manifest().value("source", json::object()).value("hash", "?"));
    print_rows(arch.components, rows, true, as_json, j);
    uint64_t shard_bytes = 0;
    for (const auto& f : pkg.manifest()["files"]) shard_bytes += fs::file_size(dir / f.get<std::string>());
    const uint64_t on_disk = files_bytes(dir);
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

void add_inspect_command(CLI::App& app, GlobalOptions&) {
    struct Options {
        std::string path;
        bool json = false;
    };
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("inspect", "Show per-component tensors, parameters, bytes and formats of a "
                                              "checkpoint or .vlmq package");
    cmd->add_option("path", opt->path, "Checkpoint directory or .vlmq package")->required();
    cmd->add_flag("--json", opt->json, "Machine-readable JSON");
    cmd->callback([opt] {
        const fs::path p(opt->path);
        if (fs::exists(p / package::kManifestName))
            inspect_package(p, opt->json);
        else
            inspect_checkpoint(p, opt->json);
    });
}

}  // namespace vlmq::cli
