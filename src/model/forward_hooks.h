#pragma once
// Optional observers a forward pass calls: `tap` receives named intermediate tensors (for `vlmq forward
// --dump` and golden tests), `observe_input` receives the input activations of every matrix product with
// a stored weight (for calibration statistics). Both may be empty; model code must not pay for them then.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/linear.h"
#include "package/weights.h"

namespace vlmq::model {

struct ForwardHooks {
    // name as in the golden files ("vision.stem", "llm.layer.3", ...), shape, contiguous fp32 data.
    std::function<void(const std::string& name, const std::vector<int64_t>& shape, const float* data)> tap;
    // weight tensor name (e.g. "model.layers.0.mlp.up_proj.weight"), activations x [M, K] with row stride ldx,
    // where K == the weight's cols (for 1x1 convs: channels).
    std::function<void(const std::string& weight_name, const float* x, int64_t M, int64_t K, int64_t ldx)>
        observe_input;
};

// kernels::linear preceded by the observe_input hook: every weight product in model code goes through here.
inline void apply_linear(const Compute& c, const ForwardHooks* hooks, const package::Weight& w, const float* x,
                         int64_t M, const float* bias, float* y, int64_t ldx = 0, int64_t ldy = 0) {
    if (hooks && hooks->observe_input) hooks->observe_input(w.name, x, M, w.mat.cols, ldx ? ldx : w.mat.cols);
    kernels::linear(c, x, M, w.mat, bias, y, ldx, ldy);
}

struct LinearTarget {
    const package::Weight* w;
    const float* bias;
    float* y;
};

// apply_linear for several weights reading the same x [M, K] (q/k/v, gate/up): kernels::linear_batch.
inline void apply_linear_batch(const Compute& c, const ForwardHooks* hooks, const float* x, int64_t M,
                               std::initializer_list<LinearTarget> targets) {
    std::vector<kernels::LinearOut> outs;
    for (const LinearTarget& t : targets) {
        if (hooks && hooks->observe_input) hooks->observe_input(t.w->name, x, M, t.w->mat.cols, t.w->mat.cols);
        outs.push_back({&t.w->mat, t.bias, t.y, 0});
    }
    kernels::linear_batch(c, x, M, outs);
}

}  // namespace vlmq::model
