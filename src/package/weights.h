#pragma once
// Where model code gets its weights: an original checkpoint (bf16/f16/f32 tensors) or a vlmq package
// (any qformat). Both are memory-mapped; a Weight is a view, never a copy.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/json_util.h"
#include "core/shape.h"
#include "package/package_verify.h"
#include "qformat/qmatrix.h"

namespace vlmq::package {

struct Weight {
    std::string name;
    std::vector<int64_t> shape;  // the original tensor shape
    qformat::QMatrix mat;        // rows = shape[0], cols = product of the other dims (1 for 0-d/1-d: rows = numel)

    int64_t numel() const { return mat.rows * mat.cols; }
};

// The storage format of a float dtype (F32/F16/BF16); none for integer dtypes. The one dtype -> format mapping.
std::optional<qformat::Format> float_format(DType dtype);

class WeightSource {
public:
    virtual ~WeightSource() = default;

    virtual const json& config() const = 0;
    // Directory holding config.json / tokenizer.json.
    virtual const std::filesystem::path& dir() const = 0;
    virtual std::vector<std::string> names() const = 0;
    virtual std::optional<Weight> find(const std::string& name) const = 0;

    // Fails naming the tensor when it is missing or (if `shape` is given) has another shape.
    Weight get(const std::string& name, const std::vector<int64_t>& shape = {}) const;
    // Dequantized copy as fp32 (for small tensors: biases, norms, BN statistics, depthwise kernels).
    std::vector<float> get_f32(const std::string& name, const std::vector<int64_t>& shape = {}) const;
    bool has(const std::string& name) const { return find(name).has_value(); }
};

// Opens a checkpoint directory, or a .vlmq package directory (recognised by its manifest.json), which is verified
// first as `verify` says (package_verify.h).
std::unique_ptr<WeightSource> open_weights(const std::filesystem::path& path, const VerifyOptions& verify = {});

}  // namespace vlmq::package
