#pragma once
// AWQ's part of the plan (see quant/awq_transform for the search that fills it): per scale group the chosen
// alpha and channel scales s, and per tensor the scalings the quantizer applies when it reaches that tensor
// (consumers' columns * s, producers / s). Only scale vectors are stored; tensors are scaled one at a time.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/compute.h"
#include "core/dtype.h"

namespace vlmq::quant {

struct AwqProducer {
    enum class Kind { Vector, Rows };  // a norm gain/bias (divided elementwise), or a linear (its last K rows)
    std::string name;
    Kind kind = Kind::Vector;
    bool retyped = false;  // was kept verbatim; stored as f32 once divided
};

struct AwqGroup {
    std::string key;  // the shared input, e.g. "model.layers.3.attn_input"
    std::vector<std::string> consumers;
    std::vector<AwqProducer> producers;
    bool searched = false;      // false: no usable statistics or producer, consumers rounded without scaling
    double alpha = 0.0;         // 0: no scaling beats plain rounding
    std::vector<float> scales;  // s, one per input channel (empty unless alpha > 0)
};

struct AwqScaling {
    enum class Kind { MultiplyColumns, DivideElements, DivideLastRows };
    Kind kind;
    size_t group;  // index into AwqPlan::groups
};

struct AwqPlan {
    std::vector<AwqGroup> groups;  // in search order, which is also the order scalings apply
    // Every tensor the transform reads (consumers of searched groups, producers of scaled groups), with
    // its scalings in order; such tensors are quantized from fp32. A consumer whose alpha is 0 has none.
    std::map<std::string, std::vector<AwqScaling>> tensors;
    std::vector<std::string> unscaled;  // awq-planned tensors without a usable group

    bool empty() const { return groups.empty() && unscaled.empty(); }
    const std::vector<AwqScaling>* scalings_of(const std::string& tensor) const;
    const float* column_scales(const std::string& tensor) const;  // s of a scaled consumer, else null
};

// `src` (dtype, [rows, cols] as matrix_dims gives them) converted to fp32 with `scalings` applied in order.
std::vector<float> awq_scaled_tensor(const Compute& c, const AwqPlan& awq, const std::vector<AwqScaling>& scalings,
                                     std::span<const std::byte> src, DType dtype, int64_t rows, int64_t cols);

}  // namespace vlmq::quant
