#include "package/writer.h"

#include <fmt/format.h>

#include "core/fs_util.h"
#include "core/input_file.h"
#include "core/shape.h"
#include "io/mapped_file.h"
#include "package/integrity.h"
#include "package/package_format.h"
#include "qformat/format_traits.h"

namespace vlmq::package {

namespace fs = std::filesystem;

std::vector<io::TensorDecl> stored_decls(const TensorSpec& t) {
    if (!t.format) return {t.source};
    const auto [rows, cols] = matrix_dims(t.source.shape);
    std::vector<io::TensorDecl> out;
    for (const auto& st : qformat::stored_tensors(*t.format, rows, cols, t.source.shape))
        out.push_back({stored_name(t.source.name, st.part), st.dtype, st.shape});
    return out;
}

int64_t stored_bytes(const TensorSpec& t) {
    if (!t.format) return numel(t.source.shape) * int64_t(dtype_size(t.source.dtype));
    const auto [rows, cols] = matrix_dims(t.source.shape);
    return qformat::stored_bytes(*t.format, rows, cols);
}

OutputKind package_output_kind() {
    OutputKind k;
    k.what = "a .vlmq package";
    k.type = OutputType::Directory;
    k.recognise = [](const fs::path& dir) {
        const auto text = read_regular_file(dir / kManifestName, 1ull << 30);
        if (!text) return false;
        try {
            const json m = parse_json(*text, kManifestName);
            return m.is_object() && m.contains("format") && m["format"] == kFormatName;
        } catch (const std::exception&) {
            return false;
        }
    };
    return k;
}

PackageWriter::PackageWriter(const fs::path& out, std::vector<TensorSpec> tensors, uint64_t max_shard_bytes,
                             bool force)
    : tensors_(std::move(tensors)), shards_(1), stage_(out, package_output_kind(), force) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < tensors_.size(); ++i) {
        const uint64_t b = uint64_t(stored_bytes(tensors_[i]));
        if (bytes > 0 && bytes + b > max_shard_bytes) {
            shards_.emplace_back();
            bytes = 0;
        }
        shards_.back().push_back(i);
        bytes += b;
    }
}

std::string PackageWriter::shard_file(size_t s) const {
    return shards_.size() == 1 ? std::string("model.safetensors")
                               : fmt::format("model-{:05}-of-{:05}.safetensors", s + 1, shards_.size());
}

std::vector<std::string> PackageWriter::shard_files() const {
    std::vector<std::string> files;
    for (size_t s = 0; s < shards_.size(); ++s) files.push_back(shard_file(s));
    return files;
}

io::SafetensorsWriter PackageWriter::open_shard(size_t s) const {
    std::vector<io::TensorDecl> decls;
    for (size_t i : shards_[s])
        for (auto& d : stored_decls(tensors_[i])) decls.push_back(std::move(d));
    return io::SafetensorsWriter(stage_.path() / shard_file(s), decls, {{"format", "vlmq"}});
}

void PackageWriter::copy_side_file(const fs::path& file) {
    fs::copy_file(file, stage_.path() / file.filename());
    side_files_.push_back(file.filename().string());
}

PackageDigests PackageWriter::digests() const {
    PackageDigests d;
    for (size_t s = 0; s < shards_.size(); ++s) {
        const io::SafetensorsFile f(stage_.path() / shard_file(s));
        const io::MappedFile whole(f.path());
        d.shards.push_back({shard_file(s), whole.size(), hash_bytes(whole.bytes())});
        for (size_t i : shards_[s]) {
            std::vector<std::span<const std::byte>> parts;
            for (const auto& decl : stored_decls(tensors_[i])) parts.push_back(f.data(*f.find(decl.name)));
            d.tensors[tensors_[i].source.name] = hash_parts(parts);
        }
    }
    for (const auto& name : side_files_) {
        const io::MappedFile f(stage_.path() / name);
        d.side_files.push_back({name, f.size(), hash_bytes(f.bytes())});
    }
    return d;
}

uint64_t PackageWriter::commit(const ordered_json& manifest) {
    write_file_atomic(stage_.path() / kManifestName, json_dump(manifest));
    const uint64_t bytes = directory_bytes(stage_.path());
    stage_.commit();
    return bytes;
}

uint64_t directory_bytes(const fs::path& dir) {
    uint64_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) n += e.file_size();
    return n;
}

}  // namespace vlmq::package
