#include "package/package_reader.h"

#include <set>

#include "core/error.h"
#include "package/integrity.h"
#include "package/package_format.h"

namespace vlmq::package {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxElements = 1ull << 48;  // per tensor; keeps byte counts of any format far from overflow

// "files" / "side_files": [{"name", "bytes", "hash"}], names plain file names inside the package.
std::vector<ListedFile> listed_files(const json& manifest, const std::string& key, const std::string& where) {
    const json& files = json_field(manifest, key, where);
    if (!files.is_array()) fail("{}: '{}' must be a list", where, key);
    std::vector<ListedFile> out;
    for (const auto& f : files) {
        const std::string at = where + ": '" + key + "' entry";
        if (!f.is_object()) fail("{} must be an object {{\"name\", \"bytes\", \"hash\"}}", at);
        ListedFile l;
        l.name = json_string(f, "name", at);
        if (l.name.empty() || l.name.find('/') != std::string::npos || l.name.find('\\') != std::string::npos ||
            l.name == "." || l.name == ".." || l.name == kManifestName)
            fail("{}: file '{}' lies outside the package or is not a plain file name", where, l.name);
        const json& bytes = json_field(f, "bytes", at + " '" + l.name + "'");
        if (!bytes.is_number_unsigned()) fail("{} '{}': 'bytes' must be a non-negative integer", at, l.name);
        l.bytes = bytes.get<uint64_t>();
        l.hash = json_string(f, "hash", at + " '" + l.name + "'");
        check_hash_syntax(l.hash, where + ": file '" + l.name + "'");
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace

Package::Package(const fs::path& dir, const VerifyOptions& verify) : dir_(dir) {
    const fs::path mpath = dir / kManifestName;
    const std::string where = mpath.string();
    manifest_ = read_json_file(mpath);
    if (!manifest_.is_object() || manifest_.value("format", "") != kFormatName)
        fail("{}: not a vlmq package manifest (missing \"format\": \"{}\")", where, kFormatName);
    const int64_t version = json_int(manifest_, "version", where);
    if (version != kFormatVersion)
        fail("{}: package format version {} is not supported (this vlmq reads version {}{})", where, version,
             kFormatVersion, version == 1 ? "; version 1 records no content hashes: quantize the model again" : "");
    shards_ = listed_files(manifest_, "files", where);
    side_files_ = listed_files(manifest_, "side_files", where);
    if (shards_.empty()) fail("{}: 'files' must list at least one safetensors file", where);
    std::set<std::string> names;
    for (const auto* list : {&shards_, &side_files_})
        for (const auto& f : *list)
            if (!names.insert(f.name).second) fail("{}: file '{}' is listed twice", where, f.name);
    for (const auto* list : {&shards_, &side_files_})
        for (const auto& f : *list) check_listed_file(dir, f);
    for (const auto& f : shards_) files_[f.name] = std::make_unique<io::SafetensorsFile>(dir / f.name);
    config_ = read_json_file(dir / "config.json");
    const json& ts = json_field(manifest_, "tensors", where);
    if (!ts.is_object()) fail("{}: 'tensors' must be an object", where);
    for (auto it = ts.begin(); it != ts.end(); ++it) {
        const std::string at = where + ": tensor '" + it.key() + "'";
        PackageTensor t;
        t.name = it.key();
        t.component = json_string(*it, "component", at);
        t.file = json_string(*it, "file", at);
        if (!files_.count(t.file)) fail("{}: file '{}' is not listed in 'files'", at, t.file);
        const json& shape = json_field(*it, "shape", at);
        if (!shape.is_array()) fail("{}: 'shape' must be a list", at);
        uint64_t numel = 1;
        for (const auto& d : shape) {
            if (!d.is_number_unsigned()) fail("{}: 'shape' must hold non-negative integers", at);
            const uint64_t v = d.get<uint64_t>();
            if (v > kMaxElements || (v != 0 && numel > kMaxElements / v)) fail("{}: shape {} is too large", at, shape.dump());
            numel *= v;
            t.shape.push_back(int64_t(v));
        }
        auto dt = parse_dtype(json_string(*it, "source_dtype", at));
        if (!dt) fail("{}: unknown source_dtype", at);
        t.source_dtype = *dt;
        const std::string fmt = json_string(*it, "format", at);
        if (fmt == "keep") {
            t.keep = true;
        } else {
            auto f = qformat::Format::parse(fmt);
            if (!f) fail("{}: unknown format '{}'", at, fmt);
            t.format = *f;
        }
        t.algorithm = it->value("algorithm", "");
        const json& bytes = json_field(*it, "bytes", at);
        if (!bytes.is_number_unsigned()) fail("{}: 'bytes' must be a non-negative integer", at);
        t.bytes = bytes.get<int64_t>();
        t.rel_error = it->value("rel_error", 0.0);
        t.hash = json_string(*it, "hash", at);
        check_hash_syntax(t.hash, at);
        tensors_[t.name] = t;
    }
    verified_ = verify_package(*this, verify);
}

const io::TensorInfo& Package::stored(const PackageTensor& t, const std::string& name, DType dtype,
                                      const std::vector<int64_t>& shape) const {
    const io::SafetensorsFile& f = *files_.at(t.file);
    const io::TensorInfo* info = f.find(name);
    if (!info) fail("{}: package file {} lacks tensor '{}'", dir_.string(), t.file, name);
    if (info->dtype != dtype || info->shape != shape)
        fail("{}: tensor '{}' is stored as {} {}, but the manifest implies {} {}", dir_.string(), name,
             dtype_name(info->dtype), shape_str(info->shape), dtype_name(dtype), shape_str(shape));
    return *info;
}

std::span<const std::byte> Package::raw(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) fail("{}: no tensor '{}'", dir_.string(), name);
    const PackageTensor& t = it->second;
    if (!t.keep) fail("{}: tensor '{}' is stored as {}, not raw", dir_.string(), name, t.format.name());
    const io::SafetensorsFile& f = *files_.at(t.file);
    return f.data(stored(t, name, t.source_dtype, t.shape));
}

std::optional<Weight> Package::weight(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) return std::nullopt;
    const PackageTensor& t = it->second;
    Weight w;
    w.name = name;
    w.shape = t.shape;
    w.mat.rows = t.shape.empty() ? 1 : t.shape[0];
    w.mat.cols = w.mat.rows == 0 ? 0 : numel(t.shape) / w.mat.rows;
    const io::SafetensorsFile& f = *files_.at(t.file);
    if (t.keep) {
        const auto fmt = float_format(t.source_dtype);
        if (!fmt)
            fail("{}: tensor '{}' has dtype {}, expected a floating-point weight", dir_.string(), name,
                 dtype_name(t.source_dtype));
        w.mat.fmt = *fmt;
        w.mat.data = f.data(stored(t, name, t.source_dtype, t.shape)).data();
        return w;
    }
    w.mat.fmt = t.format;
    for (const auto& st : qformat::stored_tensors(t.format, w.mat.rows, w.mat.cols, t.shape)) {
        const std::byte* data = f.data(stored(t, stored_name(name, st.part), st.dtype, st.shape)).data();
        switch (st.part) {
            case qformat::StoredTensor::Part::Elements: w.mat.data = data; break;
            case qformat::StoredTensor::Part::Scales: w.mat.scales = reinterpret_cast<const uint16_t*>(data); break;
            case qformat::StoredTensor::Part::Biases: w.mat.biases = reinterpret_cast<const uint16_t*>(data); break;
        }
    }
    return w;
}

namespace {

class PackageWeights final : public WeightSource {
public:
    explicit PackageWeights(std::shared_ptr<const Package> pkg) : pkg_(std::move(pkg)) {}
    const json& config() const override { return pkg_->config(); }
    const fs::path& dir() const override { return pkg_->dir(); }
    std::vector<std::string> names() const override {
        std::vector<std::string> out;
        for (const auto& [n, t] : pkg_->tensors()) out.push_back(n);
        return out;
    }
    std::optional<Weight> find(const std::string& name) const override { return pkg_->weight(name); }

private:
    std::shared_ptr<const Package> pkg_;
};

}  // namespace

std::unique_ptr<WeightSource> package_weights(std::shared_ptr<const Package> pkg) {
    return std::make_unique<PackageWeights>(std::move(pkg));
}

}  // namespace vlmq::package
