#include "package/source.h"

#include <algorithm>

#include "arch/arch_table.h"
#include "core/error.h"
#include "package/package_format.h"

namespace vlmq::package {

namespace fs = std::filesystem;

SourceKind source_kind(const fs::path& path) {
    if (!fs::exists(path)) fail("{}: no such checkpoint directory or .vlmq package", path.string());
    if (!fs::is_directory(path))
        fail("{}: not a directory (expected a checkpoint directory or a .vlmq package)", path.string());
    return fs::exists(path / kManifestName) ? SourceKind::Package : SourceKind::Checkpoint;
}

std::string source_kind_name(SourceKind k) { return k == SourceKind::Package ? "vlmq-package" : "checkpoint"; }

namespace {

// Integer tensors (BN counters) have no float format; they are listed with f32, as before.
qformat::Format listed_format(DType dtype) { return float_format(dtype).value_or(qformat::Format::f32()); }

void list_checkpoint(Source& s) {
    s.checkpoint = std::make_shared<const io::Checkpoint>(s.dir);
    s.config = s.checkpoint->config();
    const arch::ArchTable table = arch::arch_table_for_config(s.config, (s.dir / "config.json").string());
    const arch::ArchMatcher matcher(table);
    for (const std::string& name : s.checkpoint->names()) {
        const io::TensorInfo& info = *s.checkpoint->at(name).info;
        const auto comp = matcher.component_of(name);
        if (!comp)
            fail("{}: tensor '{}' is not claimed by any rule of the '{}' table", s.dir.string(), name, table.name);
        s.tensors.push_back(
            {name, *comp, info.shape, info.dtype, true, listed_format(info.dtype), int64_t(info.nbytes()), 0.0});
    }
}

void list_package(Source& s, const VerifyOptions& verify) {
    s.package = std::make_shared<const Package>(s.dir, verify);
    s.weights = package_weights(s.package);
    s.config = s.package->config();
    for (const auto& [name, t] : s.package->tensors())
        s.tensors.push_back({name, t.component, t.shape, t.source_dtype, t.keep,
                             t.keep ? listed_format(t.source_dtype) : t.format, t.bytes, t.rel_error});
}

}  // namespace

Source open_source(const fs::path& path, const VerifyOptions& verify) {
    Source s;
    s.kind = source_kind(path);
    s.dir = path;
    if (s.kind == SourceKind::Package)
        list_package(s, verify);
    else
        list_checkpoint(s);
    const arch::ArchTable table = arch::arch_table_for_config(s.config, (path / "config.json").string());
    s.architecture = table.name;
    s.components = table.components;
    std::sort(s.tensors.begin(), s.tensors.end(),
              [](const SourceTensor& a, const SourceTensor& b) { return a.name < b.name; });
    if (!s.weights) s.weights = open_weights(path);
    return s;
}

std::span<const std::byte> Source::raw(const std::string& name) const {
    if (package) return package->raw(name);
    const io::TensorRef* ref = checkpoint->find(name);
    if (!ref) fail("{}: no tensor '{}'", dir.string(), name);
    return ref->bytes();
}

}  // namespace vlmq::package
