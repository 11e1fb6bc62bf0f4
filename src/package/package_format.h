#pragma once
// The .vlmq package layout (docs/package.md):
//   <name>.vlmq/manifest.json        format "vlmq-package", version, source hash, config, per-tensor formats
//   <name>.vlmq/model.safetensors    (or model-0000k-of-0000n.safetensors) packed weights
//   <name>.vlmq/config.json, tokenizer.json, ...  copied from the source checkpoint
// An Int-format tensor T is stored as T (U8 [rows, row_bytes]), T.scales (F16 [rows, groups]) and, when
// affine, T.biases (F16 [rows, groups]). Float formats store T in their dtype with the original shape;
// "keep" stores the source bytes unchanged.
#include <string>

#include "qformat/format_traits.h"

namespace vlmq::package {

inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kFormatName = "vlmq-package";
inline constexpr int kFormatVersion = 2;  // 2: files, side files and tensors carry content hashes

inline std::string scales_name(const std::string& tensor) { return tensor + ".scales"; }
inline std::string biases_name(const std::string& tensor) { return tensor + ".biases"; }
// The safetensors name of one stored part of a tensor.
inline std::string stored_name(const std::string& tensor, qformat::StoredTensor::Part part) {
    switch (part) {
        case qformat::StoredTensor::Part::Elements: return tensor;
        case qformat::StoredTensor::Part::Scales: return scales_name(tensor);
        case qformat::StoredTensor::Part::Biases: return biases_name(tensor);
    }
    return tensor;
}

}  // namespace vlmq::package
