#include "export/mlx/source.h"

#include <algorithm>

#include "core/error.h"
#include "io/checkpoint.h"
#include "arch/arch_table.h"
#include "package/package_format.h"
#include "package/package_reader.h"

namespace vlmq::exporters::mlx {

namespace fs = std::filesystem;

namespace {

qformat::Format float_format(DType t) {
    switch (t) {
        case DType::F16: return qformat::Format::f16();
        case DType::BF16: return qformat::Format::bf16();
        default: return qformat::Format::f32();
    }
}

void read_package(ExportSource& s) {
    const package::Package pkg(s.dir);
    s.config = pkg.config();
    for (const auto& [name, t] : pkg.tensors())
        s.tensors.push_back({name, t.component, t.shape, t.source_dtype, t.keep, t.keep ? float_format(t.source_dtype) : t.format});
}

void read_checkpoint(ExportSource& s) {
    const io::Checkpoint ckpt(s.dir);
    s.config = ckpt.config();
    const arch::ArchMatcher arch(arch::arch_table_for_config(s.config, (s.dir / "config.json").string()));
    for (const std::string& name : ckpt.names()) {
        const io::TensorInfo& info = *ckpt.at(name).info;
        s.tensors.push_back({name, arch.component_of(name).value_or("other"), info.shape, info.dtype, true,
                             float_format(info.dtype)});
    }
}

}  // namespace

ExportSource open_export_source(const fs::path& path) {
    if (!fs::exists(path)) fail("{}: no such checkpoint directory or .vlmq package", path.string());
    if (!fs::is_directory(path)) fail("{}: not a directory (expected a checkpoint directory or a .vlmq package)", path.string());
    ExportSource s;
    s.dir = path;
    s.is_package = fs::exists(path / package::kManifestName);
    if (s.is_package)
        read_package(s);
    else
        read_checkpoint(s);
    s.components = arch::arch_table_for_config(s.config, (path / "config.json").string()).components;
    std::sort(s.tensors.begin(), s.tensors.end(), [](const SourceTensor& a, const SourceTensor& b) { return a.name < b.name; });
    s.weights = package::open_weights(path);
    return s;
}

}  // namespace vlmq::exporters::mlx
