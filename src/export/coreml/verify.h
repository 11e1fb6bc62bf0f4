#pragma once
// Checks an exported package without Core ML: every stored constant against the source weights (as the
// engine loads them: BatchNorm folded, qkv split), and image_features from the interpreter against the
// engine's VisionTower on the same pixels.
#include <filesystem>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "core/compute.h"
#include "model/vision_config.h"
#include "package/package_verify.h"
#include "package/weights.h"

namespace vlmq::exporters::coreml {

class MlPackage;

struct WeightCheck {
    int compared = 0;
    double worst_rel = 0;    // max over constants of max|stored - source| / max|source|
    std::string worst_name;  // the constant where it occurs
};

// Decodes every constant of the package and compares it with the source tensor it came from; a constant
// missing from the program, or one of another size, counts as an infinite difference.
WeightCheck check_weights(const MlPackage& pkg, const package::WeightSource& ws, const model::VisionConfig& cfg);

struct VerifyReport {
    WeightCheck weights;
    // The input activation of every matrix product (1x1 convs, linears), sampled every 97th element:
    // max|program - engine| / max|engine| per product, worst over products.
    int matrix_inputs = 0;
    double matrix_inputs_worst_rel = 0;
    std::string matrix_inputs_worst;
    double max_abs_diff = 0, max_ref = 0, rel = 0;  // image_features: rel = max|a - b| / max|b|
    double engine_seconds = 0, interpreter_seconds = 0;
    int64_t values = 0;

    ordered_json to_json() const;
};

// Deterministic pixels [3, size, size] in [0, 1] (smooth gradients plus a checkerboard).
std::vector<float> test_pattern(int size);

// check_weights, then the interpreter and the engine (fp32 activations, as Core ML computes) on `pixels`.
VerifyReport verify_against_engine(const std::filesystem::path& mlpackage, const std::filesystem::path& model,
                                   const std::vector<float>& pixels, const Compute& c,
                                   const package::VerifyOptions& verify = {});

}  // namespace vlmq::exporters::coreml
