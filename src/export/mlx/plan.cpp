#include "export/mlx/plan.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "core/error.h"
#include "export/mlx/affine.h"

namespace vlmq::exporters::mlx {

namespace {

int64_t product(const std::vector<int64_t>& s, size_t from) {
    int64_t n = 1;
    for (size_t i = from; i < s.size(); ++i) n *= s[i];
    return n;
}

// Largest MLX group size dividing n; 0 if none.
int mlx_group_dividing(int64_t n) {
    for (int g : {128, 64, 32})
        if (n % g == 0) return g;
    return 0;
}

std::string_view kind_name(ModuleKind k) {
    switch (k) {
        case ModuleKind::Linear: return "Linear";
        case ModuleKind::Embedding: return "Embedding";
        case ModuleKind::Conv2d: return "Conv2d";
        case ModuleKind::LayerScale: return "layer scale";
        case ModuleKind::Other: return "plain array";
    }
    return "?";
}

void plan_int(ExportPlanEntry& e, const PlanOptions& o) {
    const qformat::Format& f = e.source.format;
    const MlxName& t = *e.target;
    if (!t.quantizable() || e.source.shape.size() != 2) {
        e.action = Action::Float;
        e.reason = fmt::format("{} dequantized: an MLX {} cannot hold quantized weights", f.name(), kind_name(t.kind));
        return;
    }
    const int64_t cols = e.cols();
    const int64_t vlmq_group = f.group_size == 0 ? cols : f.group_size;
    e.bits = mlx_bits_for(f.bits);
    std::string notes;
    if (e.bits != f.bits) notes += fmt::format(", codes widened {}->{} bits", f.bits, e.bits);
    if (const int g = mlx_group_dividing(vlmq_group); g != 0 && cols % vlmq_group == 0) {
        e.action = Action::Passthrough;
        e.group_size = g;
        if (g != vlmq_group)
            notes += fmt::format(", {} groups of {} split into g{}", f.group_size == 0 ? "row" : "vlmq", vlmq_group, g);
        if (f.symmetric) notes += ", offset folded into biases";
        e.reason = fmt::format("{} -> affine b{} g{} (exact{})", f.name(), e.bits, g, notes);
        return;
    }
    const int g = cols % o.group_size == 0 ? o.group_size : mlx_group_dividing(cols);
    if (g == 0) {
        e.action = Action::Float;
        e.reason = fmt::format("{} dequantized: no MLX group size (32/64/128) divides {} columns", f.name(), cols);
        return;
    }
    e.action = Action::Requantize;
    e.group_size = g;
    e.reason = fmt::format("{}: group {} is not a multiple of 32, re-quantized with MLX affine RTN b{} g{}{}", f.name(),
                           vlmq_group, e.bits, g, notes);
}

}  // namespace

std::string_view action_name(Action a) {
    switch (a) {
        case Action::Passthrough: return "passthrough";
        case Action::Requantize: return "requantized";
        case Action::Float: return "float";
        case Action::Drop: return "dropped";
    }
    return "?";
}

int64_t ExportPlanEntry::cols() const { return product(shape, 1); }

int64_t ExportPlanEntry::stored_bytes(DType float_dtype) const {
    switch (action) {
        case Action::Drop: return 0;
        case Action::Float: return product(shape, 0) * int64_t(dtype_size(float_dtype));
        case Action::Passthrough:
        case Action::Requantize: return rows() * (cols() * bits / 8 + 2 * 2 * (cols() / group_size));
    }
    return 0;
}

ExportPlan make_export_plan(const std::vector<SourceTensor>& tensors, const PlanOptions& o) {
    if (!mlx_group_size_supported(o.group_size))
        fail("--group-size {}: MLX affine quantization supports group sizes 32, 64 and 128", o.group_size);
    ExportPlan plan;
    std::map<QuantFormat, std::pair<int64_t, int64_t>> usage;  // format -> (params, layers)
    for (const SourceTensor& s : tensors) {
        ExportPlanEntry e;
        e.source = s;
        std::string why;
        e.target = mlx_name_for(s.name, o.target, &why);
        if (!e.target) {
            e.action = Action::Drop;
            e.reason = why;
            plan.entries.push_back(std::move(e));
            continue;
        }
        if (!s.keep && !s.format.is_int() && !dtype_is_float(s.source_dtype))
            fail("tensor '{}': dtype {} cannot be exported to MLX", s.name, dtype_name(s.source_dtype));
        if (s.keep && !dtype_is_float(s.source_dtype))
            fail("tensor '{}': dtype {} cannot be exported to MLX", s.name, dtype_name(s.source_dtype));
        e.shape = mlx_shape_for(*e.target, s.shape);
        if (!s.keep && s.format.is_int()) {
            plan_int(e, o);
        } else {
            e.action = Action::Float;
            e.reason = s.keep ? fmt::format("kept {}", dtype_name(s.source_dtype)) : s.format.name();
        }
        if (e.action == Action::Passthrough || e.action == Action::Requantize) {
            auto& u = usage[{e.group_size, e.bits}];
            u.first += e.rows() * e.cols();
            u.second += 1;
        }
        plan.entries.push_back(std::move(e));
    }
    auto key = [](const auto& kv) {
        return std::tuple(kv.second.first, kv.second.second, kv.first.bits, kv.first.group_size);
    };
    for (const auto& kv : usage)
        if (!plan.dominant || key(kv) > key(*usage.find(*plan.dominant))) plan.dominant = kv.first;
    return plan;
}

}  // namespace vlmq::exporters::mlx
