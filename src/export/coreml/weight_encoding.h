#pragma once
// How one vlmq weight matrix becomes a Core ML constant (docs/coreml.md §4). vlmq stores Int codes u with
// fp16 scale s (and bias m): symmetric w = s * (u - 2^(b-1)), affine w = fma(s, u, m).
//   ios18, any Int format whose groups tile the weight shape -> constexpr_blockwise_shift_scale, output
//     = scale * (data - offset): symmetric: data = u - 2^(b-1) as int4 (b <= 4) or int8, scale = f32(s), no
//     offset -> exact; affine: data = u as uint4/uint8, offset = -m/s (fp32) -> within fp32 rounding.
//   ios16/17, per-channel (row) Int formats -> constexpr_affine_dequantize along axis 0 with int8/uint8
//     data (codes widened to 8 bits), the same scale/zero-point mapping.
//   ios16/17, group formats -> constexpr_lut_to_dense (one fp32 LUT for the tensor) when the tensor holds at
//     most 256 distinct values; otherwise not expressible (clear error).
//   float formats -> fp16 blob + constexpr_cast to fp32 (or fp32 with FloatStorage::F32).
// A per-row factor (BatchNorm folded into a depthwise conv) scales the row's scales; float weights with a
// factor are stored as fp32.
#include <optional>
#include <string>
#include <vector>

#include "export/coreml/mil_builder.h"
#include "qformat/qmatrix.h"

namespace vlmq::exporters::coreml {

enum class FloatStorage { F16, F32 };

struct WeightInput {
    std::string tensor;           // source tensor name (errors, report)
    std::vector<int64_t> shape;   // MIL shape: shape[0] == mat.rows, product of the rest == mat.cols
    qformat::QMatrix mat;
    std::vector<double> row_scale;  // empty, or one factor per row
};

enum class StorageKind { Fp16Cast, Fp32, Blockwise, AffinePerChannel, Lut };

struct StoragePlan {
    StorageKind kind = StorageKind::Fp32;
    DataType data_type = DataType::Float32;  // element type of the stored codes / values
    std::vector<int64_t> scale_shape;        // Blockwise
    std::string error;                       // non-empty: not expressible for the target

    std::string describe() const;  // "blockwise int4", "affine uint8", "lut uint4 (16 levels)", "fp16", "fp32"
};

// Where the groups of `group` consecutive row elements fall in `shape` as blocks: the scale shape, or
// nullopt when a group does not tile the dims (e.g. 32 over a [O, 32, 3, 3] kernel).
std::optional<std::vector<int64_t>> block_scale_shape(const std::vector<int64_t>& shape, int64_t group);

StoragePlan plan_storage(const WeightInput& w, Target t, FloatStorage fs);

struct EncodedWeight {
    std::string var;  // fp32 tensor of shape w.shape
    StoragePlan plan;
    int64_t blob_bytes = 0;  // payload bytes written to weight.bin (without metadata records)
};

// Emits the constant(s) named `name*` for `w`; fails with "tensor '<t>': format F is not expressible for
// iosNN: ..." when plan_storage reports an error.
EncodedWeight encode_weight(MilBuilder& b, const std::string& name, const WeightInput& w, FloatStorage fs);

}  // namespace vlmq::exporters::coreml
