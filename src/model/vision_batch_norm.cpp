#include "model/vision_batch_norm.h"

#include <cmath>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "model/vision_config.h"

namespace vlmq::model {

FoldedBatchNorm fold_batch_norm(const package::WeightSource& ws, const std::string& bn, int64_t d) {
    using namespace arch::fastvlm;
    const auto gamma = ws.get_f32(weight(bn), {d}), beta = ws.get_f32(bias(bn), {d});
    const auto mean = ws.get_f32(bn + kBnMean, {d}), var = ws.get_f32(bn + kBnVar, {d});
    const double eps = double(VisionConfig::kNormEps);
    FoldedBatchNorm f;
    f.scale.resize(size_t(d));
    f.bias.resize(size_t(d));
    for (size_t i = 0; i < size_t(d); ++i) {
        if (!(double(var[i]) + VisionConfig::kNormEps > 0) || !std::isfinite(var[i]))
            fail("{}: tensor '{}' has running variance {} at channel {}", ws.dir().string(), bn + kBnVar, var[i], i);
        f.scale[i] = double(gamma[i]) / std::sqrt(double(var[i]) + eps);
        f.bias[i] = float(double(beta[i]) - double(mean[i]) * f.scale[i]);
    }
    return f;
}

}  // namespace vlmq::model
