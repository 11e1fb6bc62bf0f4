#include <fmt/format.h>

#include <filesystem>

#include "cli_common.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/half.h"
#include "model/fastvlm_tensors.h"
#include "core/staging.h"
#include "io/output_kinds.h"
#include "package/package_format.h"
#include "package/source.h"
#include "qformat/dequant.h"

namespace vlmq::cli {

namespace fs = std::filesystem;

namespace {

// Writes the package back as a plain Hugging Face checkpoint in `dtype` (bf16 or f32).
void dequantize_package(const fs::path& pkg_dir, const fs::path& out, DType dtype, bool force, const Compute& c,
                        const package::VerifyOptions& verify) {
    const package::Source src = package::open_source(pkg_dir, verify);
    if (src.kind != package::SourceKind::Package)
        fail("{}: not a .vlmq package (no {})", pkg_dir.string(), package::kManifestName);
    model::check_model(*src.weights);
    std::vector<io::TensorDecl> decls;
    for (const auto& t : src.tensors)
        decls.push_back({t.name, t.keep || !dtype_is_float(t.source_dtype) ? t.source_dtype : dtype, t.shape});
    StagedOutput stage(out, io::checkpoint_output_kind(), force);
    io::SafetensorsWriter w(stage.path() / "model.safetensors", decls, {{"format", "pt"}});
    for (const auto& t : src.tensors) {
        const std::string& name = t.name;
        if (t.keep) {
            w.write(name, src.raw(name));
            continue;
        }
        const package::Weight wt = src.weights->get(name);
        std::vector<float> rows(static_cast<size_t>(wt.numel()));
        qformat::dequantize_rows(c, wt.mat, 0, wt.mat.rows, rows.data());
        if (dtype == DType::F32) {
            w.write(name, std::as_bytes(std::span(rows)));
        } else {
            std::vector<uint16_t> h(rows.size());
            for (size_t i = 0; i < rows.size(); ++i) h[i] = f32_to_bf16(rows[i]);
            w.write(name, std::as_bytes(std::span(h)));
        }
    }
    w.finish();
    for (const auto& e : fs::directory_iterator(pkg_dir)) {
        const std::string n = e.path().filename().string();
        if (e.is_regular_file() && e.path().extension() == ".json" && n != package::kManifestName)
            fs::copy_file(e.path(), stage.path() / n);
    }
    stage.commit();
}

}  // namespace

void add_dequantize_command(CLI::App& app, GlobalOptions& global) {
    struct Options {
        std::string package, out, dtype = "bf16";
        bool force = false;
    };
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("dequantize", "Write a .vlmq package back as a Hugging Face checkpoint");
    cmd->add_option("package", opt->package, ".vlmq package directory")->required();
    cmd->add_option("--out", opt->out, "Output checkpoint directory")->required();
    cmd->add_option("--dtype", opt->dtype, "bf16 or f32")->check(CLI::IsMember({"bf16", "f32"}));
    add_force_flag(cmd, opt->force);
    cmd->callback([opt, &global] {
        check_output(opt->out, io::checkpoint_output_kind(), {{"package", opt->package}}, opt->force);
        auto ctx = make_compute(global);
        dequantize_package(opt->package, opt->out, opt->dtype == "f32" ? DType::F32 : DType::BF16, opt->force,
                           ctx.compute, verify_options(global));
        fmt::print("{} -> {} ({})\n", opt->package, opt->out, opt->dtype);
    });
}

}  // namespace vlmq::cli
