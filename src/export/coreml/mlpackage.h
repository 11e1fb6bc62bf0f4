#pragma once
// The .mlpackage directory as coremltools writes it:
//   NAME.mlpackage/Manifest.json                               fileFormatVersion "1.0.0", itemInfoEntries
//                                                              {id: {author, description, name, path}},
//                                                              rootModelIdentifier
//   NAME.mlpackage/Data/com.apple.CoreML/model.mlmodel         serialized Model (ML Program)
//   NAME.mlpackage/Data/com.apple.CoreML/weights/weight.bin    blob storage ("@model_path/weights/weight.bin")
// Item identifiers are UUID-formatted hashes of the contents, so identical exports are byte-identical.
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/output_guard.h"
#include "export/coreml/blob_storage.h"
#include "export/coreml/mil_ir.h"
#include "io/mapped_file.h"

namespace vlmq::exporters::coreml {

// An .mlpackage written by vlmq: its root model identifier is the hash-derived UUID of its model.mlmodel.
OutputKind mlpackage_output_kind();

// Writes the package atomically (staged, then moved into place in one step). An existing `out` is replaced
// only when it is a package vlmq wrote (or empty), or with `force`. Fails unless `out` ends in ".mlpackage".
void write_mlpackage(const std::filesystem::path& out, const std::string& model_bytes,
                     std::span<const uint8_t> weight_bin, bool force = false);

// Reads a package written by vlmq (or coremltools): manifest -> root model -> decoded spec, and the mapped
// weight file that "@model_path/..." blob references resolve to.
class MlPackage {
public:
    explicit MlPackage(const std::filesystem::path& dir);

    const std::filesystem::path& dir() const { return dir_; }
    const std::filesystem::path& model_path() const { return model_path_; }
    const ModelSpec& spec() const { return spec_; }
    // The blob file a BlobRef names (only "@model_path/weights/weight.bin" style names inside the package).
    const BlobReader& blobs(const std::string& file_name) const;
    uint64_t weights_bytes() const { return weights_.size(); }

private:
    std::filesystem::path dir_, model_path_;
    ModelSpec spec_;
    io::MappedFile weights_;
    std::unique_ptr<BlobReader> blobs_;
    std::string weights_name_;
};

}  // namespace vlmq::exporters::coreml
