#pragma once
// The eval-mode BatchNorm of a FastViT ConvFFN, folded into the depthwise conv in front of it:
// scale = gamma / sqrt(running_var + eps), w' = w * scale, b' = beta - running_mean * scale.
// The engine (vision::load_conv_ffn), the Core ML program and its check all fold through here, so they agree bit
// for bit.
#include <cstdint>
#include <string>
#include <vector>

#include "package/weights.h"

namespace vlmq::model {

struct FoldedBatchNorm {
    std::vector<double> scale;  // per channel, multiplies every tap of that channel's kernel
    std::vector<float> bias;    // per channel, the conv's bias
};

// `bn` is the BatchNorm's full checkpoint path ("...convffn.conv.bn"); `d` its channels. Fails naming the tensor
// on a running variance that is not finite or not above -eps.
FoldedBatchNorm fold_batch_norm(const package::WeightSource& ws, const std::string& bn, int64_t d);

}  // namespace vlmq::model
