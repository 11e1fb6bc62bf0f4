#pragma once
// Appends typed operations to one MIL block, the way coremltools serializes them:
//   - every op parameter is its own `const` op ("<op>_<param>"), bound by name;
//   - consts with >= 10 elements of a blob-storable type go to weight.bin, smaller ones are immediate;
//   - constexpr_* parameters are values of the constexpr op itself: attributes for iOS16/17, inline
//     input values for iOS18.
// The builder tracks every variable's type so ops can be checked and output types written.
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "export/coreml/blob_storage.h"
#include "export/coreml/mil_ir.h"
#include "export/coreml/target.h"

namespace vlmq::exporters::coreml {

inline constexpr const char* kWeightFile = "@model_path/weights/weight.bin";
inline constexpr int64_t kMinBlobElements = 10;

class MilBuilder {
public:
    MilBuilder(Target target, BlobWriter& blobs) : target_(target), blobs_(blobs) {}

    Target target() const { return target_; }
    BlobWriter& blobs() { return blobs_; }

    // A function input (recorded as a typed variable).
    void input(const std::string& name, TensorType type);

    // A tensor value stored in weight.bin (raw element bytes, sub-byte types already packed).
    Value blob_value(TensorType type, std::span<const uint8_t> bytes);
    // fp32 data as a value: immediate below kMinBlobElements, else a blob.
    Value fp32_value(std::vector<int64_t> shape, std::span<const float> v);

    // `const` op named `name` with the given value; returns the variable name.
    std::string constant(const std::string& name, Value v);
    std::string const_fp32(const std::string& name, std::vector<int64_t> shape, std::span<const float> v) {
        return constant(name, fp32_value(std::move(shape), v));
    }

    // A regular op: `inputs` bind parameters to existing variables, `params` become "<name>_<param>" consts.
    std::string op(const std::string& type, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& inputs,
                   const std::vector<std::pair<std::string, Value>>& params, TensorType out);

    // A constexpr_* op whose parameters are values (see above).
    std::string constexpr_op(const std::string& type, const std::string& name,
                             const std::vector<std::pair<std::string, Value>>& params, TensorType out);

    const TensorType& type_of(const std::string& var) const;
    void output(const std::string& var) { block_.outputs.push_back(var); }
    Block take_block() { return std::move(block_); }
    const Block& block() const { return block_; }

private:
    void define(const std::string& name, const TensorType& type);

    Target target_;
    BlobWriter& blobs_;
    Block block_;
    std::vector<std::pair<std::string, TensorType>> vars_;  // in definition order
    std::map<std::string, size_t> index_;
};

}  // namespace vlmq::exporters::coreml
