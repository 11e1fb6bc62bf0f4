#include "export/coreml/export.h"

#include "core/error.h"
#include "export/coreml/mil_proto.h"
#include "export/coreml/mlpackage.h"
#include "model/fastvlm_config.h"
#include "package/source.h"

namespace vlmq::exporters::coreml {

namespace fs = std::filesystem;

model::VisionConfig vision_config_of(const package::WeightSource& ws) {
    const fs::path config = ws.dir() / "config.json";
    const json& c = ws.config();
    if (!c.is_object() || (!c.contains("vision_tower_config") && !c.contains("mm_vision_tower")))
        fail("{}: no vision tower (neither 'vision_tower_config' nor 'mm_vision_tower' is set)", config.string());
    // The whole config, as every command checks it; the tower's tensors are checked by the program builder first.
    return model::FastVlmConfig::from_json(c, config.string()).vision;
}

ordered_json ExportReport::to_json() const {
    ordered_json j;
    j["out"] = out.string();
    j["deployment_target"] = target_info(target).name;
    j["specification_version"] = target_info(target).spec_version;
    j["opset"] = target_info(target).opset;
    j["compute_precision"] = "fp32";
    j["input"] = {{"name", kInputName}, {"shape", {1, 3, image_size, image_size}}, {"dtype", "fp32"}};
    j["output"] = {{"name", kOutputName}, {"shape", {1, tokens, channels}}, {"dtype", "fp32"}};
    j["operations"] = operations;
    j["model_bytes"] = model_bytes;
    j["weight_bin_bytes"] = weight_bin_bytes;
    j["blobs"] = blobs;
    auto totals = [](const std::map<std::string, StorageTotals>& m) {
        ordered_json o = ordered_json::object();
        for (const auto& [k, v] : m) o[k] = {{"tensors", v.tensors}, {"blob_bytes", v.blob_bytes}};
        return o;
    };
    j["storage"] = totals(by_storage);
    j["source_formats"] = totals(by_format);
    return j;
}

ExportReport export_coreml(const ExportOptions& opt) {
    const package::Source src = package::open_source(opt.model, opt.verify);
    const package::WeightSource* ws = src.weights.get();
    const model::VisionConfig cfg = vision_config_of(*ws);
    ProgramOptions po;
    po.target = opt.target;
    po.float_storage = opt.float_storage;
    po.metadata = {{"vlmq.version", VLMQ_VERSION},
                   {"vlmq.source", package::source_kind_name(src.kind)},
                   {"vlmq.compute_precision", "fp32"},
                   {"vlmq.deployment_target", target_info(opt.target).name},
                   {"vlmq.float_weights", opt.float_storage == FloatStorage::F16 ? "fp16" : "fp32"}};
    const BuiltProgram built = build_fastvit_program(*ws, cfg, po);
    const std::string model_bytes = encode_model(built.spec);
    write_mlpackage(opt.out, model_bytes, built.weight_bin, opt.force);

    ExportReport r;
    r.out = opt.out;
    r.target = opt.target;
    r.image_size = cfg.image_size;
    r.tokens = cfg.tokens();
    r.channels = cfg.out_channels();
    r.operations = built.operations;
    r.model_bytes = model_bytes.size();
    r.weight_bin_bytes = built.weight_bin.size();
    r.weights = built.weights;
    for (const WeightRecord& w : built.weights) {
        r.by_storage[w.storage].tensors += 1;
        r.by_storage[w.storage].blob_bytes += w.blob_bytes;
        r.by_format[w.format].tensors += 1;
        r.by_format[w.format].blob_bytes += w.blob_bytes;
    }
    const BlobReader reader({built.weight_bin.data(), built.weight_bin.size()}, "weight.bin");
    r.blobs = reader.count();
    return r;
}

}  // namespace vlmq::exporters::coreml
