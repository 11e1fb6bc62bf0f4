#pragma once
// The FastViT(HD) vision tower as a Core ML ML Program (NCHW, fp32 compute), mirroring
// model::VisionTower op for op: input `images` [1, 3, S, S] fp32 -> output `image_features`
// [1, tokens, C] fp32 (conv_exp output, reshape [1, C, tokens] + transpose, as Apple's traced model).
#include <string>
#include <vector>

#include "export/coreml/mil_ir.h"
#include "export/coreml/target.h"
#include "export/coreml/weight_encoding.h"
#include "model/vision_config.h"
#include "package/weights.h"

namespace vlmq::exporters::coreml {

inline constexpr const char* kInputName = "images";
inline constexpr const char* kOutputName = "image_features";

struct ProgramOptions {
    Target target = Target::iOS18;
    FloatStorage float_storage = FloatStorage::F16;
    std::map<std::string, std::string> metadata;  // Metadata.userDefined
};

// One stored weight of the export.
struct WeightRecord {
    std::string tensor;   // checkpoint tensor name (q/k/v slices: "...qkv.weight[q]")
    std::string format;   // vlmq format in the source ("bf16", "int4_g32_sym", ...)
    std::string storage;  // StoragePlan::describe()
    int64_t blob_bytes = 0;
};

struct BuiltProgram {
    ModelSpec spec;
    std::vector<uint8_t> weight_bin;
    std::vector<WeightRecord> weights;
    int64_t operations = 0;
};

// The MIL variable holding a tower tensor (name after arch::fastvlm::kVisionPrefix): dots become underscores
// ("network.7.0.norm.weight" -> "network_7_0_norm_weight"); the q/k/v row blocks of a fused qkv weight add
// "_q" / "_k" / "_v".
std::string mil_var_name(std::string tensor);
// The stand-in tensor name of a block's ConvFFN bias with its BatchNorm folded in ("<block>convffn.conv.folded_bias"),
// which no checkpoint stores; mil_var_name gives its variable.
std::string folded_ffn_bias_name(const std::string& block);

// Fails (one line) when the source has no complete vision tower or a weight's format is not expressible
// for the target.
BuiltProgram build_fastvit_program(const package::WeightSource& ws, const model::VisionConfig& cfg,
                                   const ProgramOptions& opt);

}  // namespace vlmq::exporters::coreml
