#pragma once
// The mixing policy: a pure function from (tensor list, architecture table, config) to one entry per tensor
// saying which component owns it and how it will be stored. Printable, testable, no I/O.
#include <string>
#include <vector>

#include "core/dtype.h"
#include "io/safetensors.h"
#include "arch/arch_table.h"
#include "quant/quant_config.h"

namespace vlmq::quant {

using TensorMeta = io::TensorDecl;
int64_t numel_of(const std::vector<int64_t>& shape);

struct PlanEntry {
    TensorMeta tensor;
    std::string component;
    std::string unit;          // e.g. "model.layers.3" (for per-unit fallback)
    bool keep = true;          // stored exactly as in the source
    Precision precision;       // when !keep: target format (after shape fallback) + algorithm
    std::string why;           // "norm/bias/1-D", "config", "override '<re>'", ...
    std::string note;          // shape fallback note, "" if none
    int64_t rows = 0, cols = 0;

    int64_t stored_bytes() const;
    int64_t source_bytes() const;
};

struct Plan {
    std::vector<PlanEntry> entries;  // in tensor-name order
    std::vector<std::string> components;
};

// Fails for a tensor no rule claims.
Plan make_plan(const std::vector<TensorMeta>& tensors, const arch::ArchTable& arch, const QuantConfig& config);

// Rows/cols of the matrix view of a tensor: rows = shape[0], cols = product of the rest.
std::pair<int64_t, int64_t> matrix_dims(const std::vector<int64_t>& shape);

}  // namespace vlmq::quant
