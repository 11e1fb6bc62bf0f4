#pragma once
// The FastViT(HD) vision tower of FastVLM: pixels [3, S, S] -> image tokens [(S/64)^2, out_channels], fp32.
#include <memory>
#include <vector>

#include "core/compute.h"
#include "model/forward_hooks.h"
#include "model/vision_config.h"
#include "package/weights.h"

namespace vlmq::model {

class VisionTower {
public:
    // Reads and shape-checks every tower tensor (prefix arch::fastvlm::kVisionPrefix). Matrix weights stay views into `ws`,
    // which must outlive the tower. Fails naming the tensor on a missing or mis-shaped one.
    VisionTower(const package::WeightSource& ws, const VisionConfig& cfg);
    // Config from ws.config() (VisionConfig::from_model_config).
    explicit VisionTower(const package::WeightSource& ws);
    ~VisionTower();
    VisionTower(VisionTower&&) noexcept;
    VisionTower& operator=(VisionTower&&) noexcept;

    const VisionConfig& config() const;

    // pixels: [3, S, S] planar RGB in [0, 1], S = config().image_size. Returns [tokens, out_channels] row-major
    // (token t = h * grid + w). Taps (when hooks->tap is set): "vision.stem", "vision.network.{i}",
    // "vision.conv_exp", each [C, H, W].
    std::vector<float> forward(const Compute& c, const float* pixels, const ForwardHooks* hooks = nullptr) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vlmq::model
