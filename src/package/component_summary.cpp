#include "package/component_summary.h"

#include <map>

#include "core/shape.h"

namespace vlmq::package {

void ComponentSummary::add(const SourceTensor& t) {
    const int64_t n = numel(t.shape);
    tensors += 1;
    if (dtype_is_float(t.source_dtype)) params += n;
    bytes_before += n * int64_t(dtype_size(t.source_dtype));
    bytes_after += t.bytes;
    if (t.keep) return;
    quantized_params += n;
    weighted_rel_error += t.rel_error * double(n);
    if (t.rel_error > worst_rel_error) {
        worst_rel_error = t.rel_error;
        worst_tensor = t.name;
    }
}

std::vector<ComponentSummary> summarize_components(const std::vector<std::string>& components,
                                                   const std::vector<SourceTensor>& tensors) {
    std::map<std::string, ComponentSummary> by;
    for (const auto& c : components) by[c].name = c;
    for (const auto& t : tensors)
        if (auto it = by.find(t.component); it != by.end()) it->second.add(t);
    std::vector<ComponentSummary> out;
    for (const auto& c : components) out.push_back(by[c]);
    return out;
}

}  // namespace vlmq::package
