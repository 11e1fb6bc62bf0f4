#include "export/mlx/export.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/progress.h"
#include "core/staging.h"
#include "export/mlx/affine.h"
#include "export/mlx/convert.h"
#include "export/mlx/mlx_config.h"
#include "model/fastvlm_tensors.h"
#include "package/source.h"
#include "io/safetensors.h"

namespace vlmq::exporters::mlx {

namespace fs = std::filesystem;

namespace {

// Tokenizer / processor side files copied unchanged (config.json is rewritten).
constexpr const char* kSideFiles[] = {"generation_config.json", "tokenizer.json",   "tokenizer_config.json",
                                      "special_tokens_map.json", "added_tokens.json", "vocab.json",
                                      "merges.txt",              "preprocessor_config.json", "processor_config.json",
                                      "chat_template.json",      "chat_template.jinja"};

void check_parts(const package::Source& src, const ExportPlan& plan, Target target) {
    if (target == Target::MlxVlm &&
        std::none_of(src.tensors.begin(), src.tensors.end(), [](const SourceTensor& t) { return is_vision_tensor(t.name); }))
        fail("{}: has no vision tower (no model.vision_tower.* tensors); use --only-llm to export the projector and "
             "language model alone",
             src.dir.string());
    using namespace arch::fastvlm;
    for (const std::string& need : {weight(projector(kProjectorFc1)), weight(projector(kProjectorFc2)),
                                    weight(kEmbedTokens), weight(kFinalNorm)})
        if (std::none_of(plan.entries.begin(), plan.entries.end(),
                         [&](const ExportPlanEntry& e) { return e.source.name == need; }))
            fail("{}: missing tensor '{}', which the MLX FastVLM model needs", src.dir.string(), need);
}

// Greedy shards in MLX-name order, as mlx-lm's make_shards: a new file when the next tensor would pass the cap.
std::vector<std::vector<size_t>> make_shards(const ExportPlan& plan, DType float_dtype, uint64_t max_bytes) {
    std::vector<size_t> order;
    for (size_t i = 0; i < plan.entries.size(); ++i)
        if (plan.entries[i].action != Action::Drop) order.push_back(i);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return plan.entries[a].target->name < plan.entries[b].target->name; });
    std::vector<std::vector<size_t>> shards(1);
    uint64_t size = 0;
    for (size_t i : order) {
        const auto bytes = uint64_t(plan.entries[i].stored_bytes(float_dtype));
        if (!shards.back().empty() && size + bytes > max_bytes) {
            shards.emplace_back();
            size = 0;
        }
        shards.back().push_back(i);
        size += bytes;
    }
    return shards;
}

std::string shard_name(size_t i, size_t n) {
    return n == 1 ? std::string("model.safetensors") : fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, n);
}

void summarize(ExportReport& r, const std::vector<std::string>& components) {
    std::map<std::string, ComponentExport> by_name;
    for (const auto& t : r.tensors) {
        const ExportPlanEntry& e = *t.entry;
        ComponentExport& c = by_name[e.source.component];
        c.name = e.source.component;
        ++c.tensors;
        c.bytes += t.bytes;
        switch (e.action) {
            case Action::Passthrough:
                ++c.passthrough;
                c.max_abs_diff_passthrough = std::max(c.max_abs_diff_passthrough, t.max_abs_diff);
                break;
            case Action::Requantize:
                ++c.requantized;
                c.max_abs_diff_requantized = std::max(c.max_abs_diff_requantized, t.max_abs_diff);
                break;
            case Action::Float:
                ++c.floats;
                c.max_abs_diff_float = std::max(c.max_abs_diff_float, t.max_abs_diff);
                break;
            case Action::Drop: ++c.dropped; break;
        }
        r.tensor_bytes += t.bytes;
    }
    for (const auto& name : components) {
        auto it = by_name.find(name);
        r.components.push_back(it != by_name.end() ? it->second : ComponentExport{.name = name});
        if (it != by_name.end()) by_name.erase(it);
    }
    for (auto& [name, c] : by_name) r.components.push_back(c);
}

void write_index(const fs::path& dir, const ExportReport& r) {
    std::map<std::string, std::string> weight_map;
    for (const auto& t : r.tensors)
        for (const auto& d : mlx_tensor_decls(*t.entry, DType::F16)) weight_map[d.name] = t.file;  // names only
    ordered_json wm = ordered_json::object();
    for (const auto& [name, file] : weight_map) wm[name] = file;
    write_file_atomic(dir / "model.safetensors.index.json",
                      json_dump(ordered_json{{"metadata", {{"total_size", r.tensor_bytes}}}, {"weight_map", wm}}));
}

}  // namespace

OutputKind mlx_output_kind() { return marked_directory_kind("an MLX export", "mlx"); }

ExportReport export_mlx(const fs::path& source, const fs::path& out, const ExportOptions& o,
                        const Compute& compute) {
    if (!mlx_group_size_supported(o.group_size))
        fail("--group-size {}: MLX affine quantization supports group sizes 32, 64 and 128", o.group_size);
    if (o.float_dtype != DType::F16 && o.float_dtype != DType::BF16)
        fail("float dtype {}: MLX exports store float tensors as F16 or BF16", dtype_name(o.float_dtype));
    package::Source src = package::open_source(source, o.verify);
    std::error_code ec;
    if (fs::exists(out) && fs::equivalent(source, out, ec))
        fail("{}: the output directory must differ from the source", out.string());
    ExportReport r;
    r.source = source.string();
    r.out = out.string();
    r.target = o.only_llm ? Target::AppleLlmOnly : Target::MlxVlm;
    r.plan = make_export_plan(src.tensors, {r.target, o.group_size});
    check_parts(src, r.plan, r.target);  // first: it names --only-llm for a package without the vision tower
    model::check_model(*src.weights, o.only_llm ? model::ModelParts::WithoutVision : model::ModelParts::All);
    const MlxConfig cfg = make_mlx_config(src.config, r.plan, r.target);
    r.quantization = cfg.quantization;
    r.per_layer_entries = cfg.per_layer_entries;
    r.warnings = cfg.warnings;

    r.tensors.resize(r.plan.entries.size());
    for (size_t i = 0; i < r.plan.entries.size(); ++i) r.tensors[i].entry = &r.plan.entries[i];
    const auto shards = make_shards(r.plan, o.float_dtype, o.max_shard_bytes);
    StagedOutput stage(out, mlx_output_kind(), o.force);
    Progress bar("export mlx", int64_t(r.plan.entries.size()), "tensors", o.progress);
    bar.advance(int64_t(std::count_if(r.plan.entries.begin(), r.plan.entries.end(),
                                      [](const ExportPlanEntry& e) { return e.action == Action::Drop; })));
    for (size_t s = 0; s < shards.size(); ++s) {
        const std::string file = shard_name(s, shards.size());
        std::vector<io::TensorDecl> decls;
        for (size_t i : shards[s])
            for (auto& d : mlx_tensor_decls(r.plan.entries[i], o.float_dtype)) decls.push_back(std::move(d));
        io::SafetensorsWriter writer(stage.path() / file, decls, {{"format", "mlx"}});
        for (size_t i : shards[s]) {
            ExportPlanEntry& e = r.plan.entries[i];
            TensorResult& t = r.tensors[i];
            const package::Weight w = src.weights->get(e.source.name);
            t.max_abs_diff = with_context("tensor '" + e.source.name + "'",
                                          [&] { return convert_tensor(compute, w, e, o.float_dtype, writer); });
            t.file = file;
            for (const auto& d : mlx_tensor_decls(e, o.float_dtype)) t.bytes += int64_t(writer.tensor_bytes(d.name));
            bar.advance(1, e.source.name);
        }
        writer.finish();
    }
    bar.finish();
    summarize(r, src.components);

    write_index(stage.path(), r);
    write_file_atomic(stage.path() / "config.json", json_dump(cfg.config));
    for (const char* name : kSideFiles)
        if (fs::exists(src.dir / name)) fs::copy_file(src.dir / name, stage.path() / name);
    for (const auto& entry : fs::directory_iterator(stage.path())) {
        r.files.push_back(entry.path().filename().string());
        r.dir_bytes += entry.file_size();
    }
    std::sort(r.files.begin(), r.files.end());
    stage.commit();
    return r;
}

}  // namespace vlmq::exporters::mlx
