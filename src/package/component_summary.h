#pragma once
// Per-component totals of a tensor list: the quantizer's report and `vlmq inspect` both count with this, so
// they agree by construction.
#include <string>
#include <vector>

#include "package/source.h"

namespace vlmq::package {

struct ComponentSummary {
    std::string name;
    int64_t tensors = 0, params = 0, quantized_params = 0;  // params: elements of float tensors
    int64_t bytes_before = 0, bytes_after = 0;              // source bytes, stored bytes
    double weighted_rel_error = 0.0;                        // sum of rel_error x elements over quantized tensors
    double worst_rel_error = 0.0;
    std::string worst_tensor;

    void add(const SourceTensor& t);
    double bits_per_weight() const { return params ? double(bytes_after) * 8.0 / double(params) : 0.0; }
    double mean_rel_error() const { return quantized_params ? weighted_rel_error / double(quantized_params) : 0.0; }
};

// One summary per name of `components`, in that order (tensors of other components are not counted).
std::vector<ComponentSummary> summarize_components(const std::vector<std::string>& components,
                                                   const std::vector<SourceTensor>& tensors);

}  // namespace vlmq::package
