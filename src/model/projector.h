#pragma once
// FastVLM's `mlp2x_gelu` projector: image features [N, mm_hidden] -> Linear + bias -> exact (erf) GELU ->
// Linear + bias -> [N, hidden] (tensors model.mm_projector.{0,2}.{weight,bias}).
#include <cstdint>
#include <vector>

#include "core/compute.h"
#include "model/forward_hooks.h"
#include "package/weights.h"

namespace vlmq::model {

class Projector {
public:
    // in_dim = config mm_hidden_size, out_dim = hidden_size (mm_projector_type must be "mlp2x_gelu" when given).
    explicit Projector(const package::WeightSource& ws);

    int64_t in_dim() const { return fc1_.mat.cols; }
    int64_t out_dim() const { return fc2_.mat.rows; }

    // x: [n, in_dim] -> [n, out_dim]. Tap: "projected".
    std::vector<float> forward(const Compute& c, const float* x, int64_t n,
                               const ForwardHooks* hooks = nullptr) const;

private:
    package::Weight fc1_, fc2_;
    std::vector<float> b1_, b2_;
};

}  // namespace vlmq::model
