#include "package/package_verify.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "core/error.h"
#include "core/shape.h"
#include "io/mapped_file.h"
#include "package/hash_cache.h"
#include "package/integrity.h"
#include "package/package_format.h"
#include "package/package_reader.h"
#include "package/writer.h"

namespace vlmq::package {

namespace fs = std::filesystem;

namespace {

std::string at_tensor(const Package& p, const PackageTensor& t) {
    return fmt::format("{}: {}: tensor '{}'", p.dir().string(), t.file, t.name);
}

// The stored tensors the manifest entry implies (the writer's own stored_decls).
std::vector<io::TensorDecl> implied_decls(const Package& p, const PackageTensor& t) {
    if (!t.keep && !dtype_is_float(t.source_dtype))
        fail("{}: format {} needs a floating-point source, but source_dtype is {}", at_tensor(p, t), t.format.name(),
             dtype_name(t.source_dtype));
    const TensorSpec spec{{t.name, t.source_dtype, t.shape},
                          t.keep ? std::nullopt : std::optional<qformat::Format>(t.format)};
    return with_context(at_tensor(p, t), [&] { return stored_decls(spec); });
}

std::vector<std::span<const std::byte>> stored_parts(const Package& p, const PackageTensor& t) {
    const io::SafetensorsFile& f = p.shard(t.file);
    std::vector<std::span<const std::byte>> parts;
    for (const auto& d : implied_decls(p, t)) parts.push_back(f.data(*f.find(d.name)));
    return parts;
}

// Manifest and shards list the same stored tensors, each of the dtype, shape and bytes its format implies.
void check_tensor_lists(const Package& p) {
    std::map<std::string, std::map<std::string, std::string>> claimed;  // shard -> stored name -> manifest tensor
    for (const auto& [name, t] : p.tensors()) {
        const io::SafetensorsFile& f = p.shard(t.file);
        int64_t bytes = 0;
        for (const auto& d : implied_decls(p, t)) {
            const io::TensorInfo* info = f.find(d.name);
            if (!info)
                fail("{}: the shard lacks stored tensor '{}', which format {} of shape {} implies", at_tensor(p, t),
                     d.name, t.keep ? "keep" : t.format.name(), shape_str(t.shape));
            if (info->dtype != d.dtype || info->shape != d.shape)
                fail("{}: '{}' is stored as {} {}, but format {} of shape {} implies {} {}", at_tensor(p, t), d.name,
                     dtype_name(info->dtype), shape_str(info->shape), t.keep ? "keep" : t.format.name(),
                     shape_str(t.shape), dtype_name(d.dtype), shape_str(d.shape));
            auto [it, fresh] = claimed[t.file].emplace(d.name, name);
            if (!fresh) fail("{}: stored tensor '{}' is claimed by tensor '{}' too", at_tensor(p, t), d.name, it->second);
            bytes += int64_t(info->nbytes());
        }
        if (bytes != t.bytes)
            fail("{}: the manifest records {} bytes but its stored tensors hold {}", at_tensor(p, t), t.bytes, bytes);
    }
    for (const ListedFile& l : p.shards()) {
        std::set<std::string> unlisted;  // by name, so a tensor is named before its ".scales"
        for (const io::TensorInfo& info : p.shard(l.name).tensors())
            if (!claimed[l.name].count(info.name)) unlisted.insert(info.name);
        if (!unlisted.empty())
            fail("{}: {}: tensor '{}' is stored in the shard but not listed in the manifest", p.dir().string(), l.name,
                 *unlisted.begin());
    }
}

bool f16_finite(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

// Scales and biases finite; the pad bits after a row's last code zero (docs/formats.md 3.1).
void check_values(const Package& p) {
    for (const auto& [name, t] : p.tensors()) {
        if (t.keep || !t.format.is_int()) continue;
        const auto [rows, cols] = matrix_dims(t.shape);
        const qformat::Layout l = qformat::layout_of(t.format, rows, cols);
        const auto parts = stored_parts(p, t);
        for (size_t k = 1; k < parts.size(); ++k) {
            const auto* v = reinterpret_cast<const uint16_t*>(parts[k].data());
            const size_t n = parts[k].size() / 2;
            for (size_t i = 0; i < n; ++i)
                if (!f16_finite(v[i]))
                    fail("{}: {} [row {}, group {}] is {} (fp16 0x{:04x})", at_tensor(p, t), k == 1 ? "scale" : "bias",
                         int64_t(i) / l.groups_per_row, int64_t(i) % l.groups_per_row,
                         (v[i] & 0x03ffu) ? "NaN" : "infinite", v[i]);
        }
        const int used = int((cols * t.format.bits) % 8);
        if (used == 0 || l.row_bytes == 0) continue;
        const auto mask = uint8_t(0xffu << used);
        for (int64_t r = 0; r < rows; ++r)
            if (uint8_t(parts[0][size_t((r + 1) * l.row_bytes - 1)]) & mask)
                fail("{}: row {}: the unused high bits of its last code byte are not zero (corrupt codes)",
                     at_tensor(p, t), r);
    }
}

// Names the tensor of a shard whose bytes do not match their recorded hash (when the shard's hash did not).
[[noreturn]] void fail_shard_hash(const Package& p, const ListedFile& l, const std::string& got) {
    for (const auto& [name, t] : p.tensors())
        if (t.file == l.name && hash_parts(stored_parts(p, t)) != t.hash)
            fail("{}: its bytes do not match the recorded hash (the shard was modified or is corrupt)", at_tensor(p, t));
    fail("{}: {}: content hash {} does not match the recorded {}; every tensor matches its own, so the header "
         "differs",
         p.dir().string(), l.name, got, l.hash);
}

void check_hashes(const Package& p, const VerifyOptions& o, VerifyResult& r) {
    HashCache cache(o.cache_file);
    auto check = [&](const ListedFile& l, bool is_shard) {
        const fs::path path = p.dir() / l.name;
        const auto before = stamp_of(path);
        std::optional<std::string> got;
        if (o.hashes == HashCheck::Cached && before) {
            got = cache.find(*before);
            if (got) ++r.cache_hits;
        }
        if (!got) {
            const int64_t t0 = wall_clock_ns();
            const io::MappedFile f(path);
            got = hash_bytes(f.bytes());
            ++r.files_hashed;
            r.bytes_hashed += f.size();
            if (before && before == stamp_of(path)) cache.put(*before, *got, t0);
        }
        if (*got == l.hash) return;
        if (is_shard) fail_shard_hash(p, l, *got);
        fail("{}: {}: content hash {} does not match the recorded {} (the file was modified or is corrupt)",
             p.dir().string(), l.name, *got, l.hash);
    };
    for (const ListedFile& l : p.shards()) check(l, true);
    for (const ListedFile& l : p.side_files()) check(l, false);
    cache.save();
    if (o.hashes != HashCheck::Full) return;
    for (const auto& [name, t] : p.tensors())
        if (hash_parts(stored_parts(p, t)) != t.hash)
            fail("{}: the recorded tensor hash disagrees with its stored bytes, which match the shard's hash (the "
                 "manifest was edited)",
                 at_tensor(p, t));
}

}  // namespace

void check_listed_file(const fs::path& dir, const ListedFile& l) {
    const fs::path path = dir / l.name;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        fail("{}: {}: listed in the manifest but missing (or not a regular file)", dir.string(), l.name);
    const uint64_t size = fs::file_size(path, ec);
    if (ec || size != l.bytes)
        fail("{}: {}: file is {} bytes but the manifest records {} (truncated, replaced or swapped?)", dir.string(),
             l.name, ec ? 0 : size, l.bytes);
}

VerifyResult verify_package(const Package& pkg, const VerifyOptions& options) {
    VerifyResult r;
    r.files = pkg.shards().size() + pkg.side_files().size();
    r.tensors = pkg.tensors().size();
    check_tensor_lists(pkg);
    check_values(pkg);
    if (options.hashes != HashCheck::Skip) check_hashes(pkg, options, r);
    return r;
}

}  // namespace vlmq::package
