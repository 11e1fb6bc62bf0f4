#include "export/coreml/mlpackage.h"

#include <xxhash.h>

#include <fstream>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/input_file.h"
#include "core/staging.h"
#include "core/json_util.h"
#include "export/coreml/mil_builder.h"
#include "export/coreml/mil_proto.h"

namespace vlmq::exporters::coreml {

namespace {

constexpr const char* kAuthor = "com.apple.CoreML";
constexpr const char* kModelItem = "model.mlmodel";
constexpr const char* kWeightsItem = "weights";
constexpr const char* kWeightsFileName = "weight.bin";

// A version-4-formatted UUID whose bits come from a hash of `seed` (deterministic output).
std::string uuid_from(std::string_view seed) {
    const XXH128_hash_t h = XXH3_128bits(seed.data(), seed.size());
    uint8_t b[16];
    for (int i = 0; i < 8; ++i) {
        b[i] = uint8_t(h.high64 >> (56 - 8 * i));
        b[8 + i] = uint8_t(h.low64 >> (56 - 8 * i));
    }
    b[6] = uint8_t((b[6] & 0x0f) | 0x40);
    b[8] = uint8_t((b[8] & 0x3f) | 0x80);
    std::string s;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
        s += fmt::format("{:02X}", b[i]);
    }
    return s;
}

std::string model_uuid(std::string_view model_bytes) { return uuid_from(std::string(model_bytes) + "#model"); }

void write_bytes(const fs::path& p, const void* data, size_t n) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    if (!out) fail("{}: cannot create file", p.string());
    out.write(static_cast<const char*>(data), std::streamsize(n));
    out.flush();
    if (!out) fail("{}: write failed (disk full?)", p.string());
}

}  // namespace

OutputKind mlpackage_output_kind() {
    OutputKind k;
    k.what = "a Core ML package";
    k.type = OutputType::Directory;
    k.recognise = [](const fs::path& dir) {
        const auto manifest = read_regular_file(dir / "Manifest.json", 1 << 20);
        const auto model = read_regular_file(dir / "Data" / kAuthor / kModelItem, 1ull << 30);
        if (!manifest || !model) return false;
        try {
            const json m = parse_json(*manifest, "Manifest.json");
            return m.is_object() && m.contains("rootModelIdentifier") && m["rootModelIdentifier"] == model_uuid(*model);
        } catch (const std::exception&) {
            return false;
        }
    };
    return k;
}

void write_mlpackage(const fs::path& out, const std::string& model_bytes, std::span<const uint8_t> weight_bin,
                     bool force) {
    if (out.extension() != ".mlpackage") fail("{}: a Core ML package name must end in .mlpackage", out.string());
    StagedOutput stage(out, mlpackage_output_kind(), force);
    const fs::path data = stage.path() / "Data" / kAuthor;
    fs::create_directories(data / kWeightsItem);
    write_bytes(data / kModelItem, model_bytes.data(), model_bytes.size());
    write_bytes(data / kWeightsItem / kWeightsFileName, weight_bin.data(), weight_bin.size());

    const XXH128_hash_t wh = XXH3_128bits(weight_bin.data(), weight_bin.size());
    const std::string model_id = model_uuid(model_bytes);
    const std::string weights_id = uuid_from(model_bytes + "#weights#" + std::to_string(wh.low64));
    ordered_json entries;
    entries[model_id] = {{"author", kAuthor},
                         {"description", "CoreML Model Specification"},
                         {"name", kModelItem},
                         {"path", std::string(kAuthor) + "/" + kModelItem}};
    entries[weights_id] = {{"author", kAuthor},
                           {"description", "CoreML Model Weights"},
                           {"name", kWeightsItem},
                           {"path", std::string(kAuthor) + "/" + kWeightsItem}};
    ordered_json manifest;
    manifest["fileFormatVersion"] = "1.0.0";
    manifest["itemInfoEntries"] = entries;
    manifest["rootModelIdentifier"] = model_id;
    const std::string text = json_dump(manifest);
    write_bytes(stage.path() / "Manifest.json", text.data(), text.size());
    stage.commit();
}

MlPackage::MlPackage(const fs::path& dir) : dir_(dir) {
    const fs::path manifest_path = dir / "Manifest.json";
    if (!fs::is_directory(dir)) fail("{}: not a directory (expected an .mlpackage)", dir.string());
    const json manifest = read_json_file(manifest_path);
    const std::string where = manifest_path.string();
    const std::string version = json_string(manifest, "fileFormatVersion", where);
    if (version.rfind("1.", 0) != 0) fail("{}: unsupported fileFormatVersion '{}'", where, version);
    const std::string root = json_string(manifest, "rootModelIdentifier", where);
    const json& entries = json_field(manifest, "itemInfoEntries", where);
    if (!entries.is_object() || !entries.contains(root))
        fail("{}: rootModelIdentifier '{}' is not in itemInfoEntries", where, root);
    const std::string rel = json_string(entries[root], "path", where + ": itemInfoEntries." + root);
    if (rel.find("..") != std::string::npos) fail("{}: item path '{}' leaves the package", where, rel);
    model_path_ = dir / "Data" / rel;
    const std::string bytes = read_text_file(model_path_);
    spec_ = decode_model(bytes, model_path_.string());

    const fs::path weights = model_path_.parent_path() / kWeightsItem / kWeightsFileName;
    if (fs::exists(weights)) {
        weights_ = io::MappedFile(weights);
        const auto b = weights_.bytes();
        blobs_ = std::make_unique<BlobReader>(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size()), weights.string());
        weights_name_ = kWeightFile;
    }
}

const BlobReader& MlPackage::blobs(const std::string& file_name) const {
    if (file_name != weights_name_ || !blobs_)
        fail("{}: blob file '{}' is not in the package (expected '{}')", dir_.string(), file_name, kWeightFile);
    return *blobs_;
}

}  // namespace vlmq::exporters::coreml
