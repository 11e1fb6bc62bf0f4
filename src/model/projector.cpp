#include "model/projector.h"

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "kernels/activations.h"

namespace vlmq::model {

Projector::Projector(const package::WeightSource& ws) {
    const std::string where = (ws.dir() / "config.json").string();
    const json& cfg = ws.config();
    if (cfg.contains("mm_projector_type")) {
        const std::string type = json_string(cfg, "mm_projector_type", where);
        if (type != "mlp2x_gelu")
            fail("{}: field 'mm_projector_type' is '{}'; only 'mlp2x_gelu' is supported", where, type);
    }
    const int64_t in = json_int(cfg, "mm_hidden_size", where);
    const int64_t hidden = json_int(cfg, "hidden_size", where);
    if (in < 1 || in > (1 << 20)) fail("{}: field 'mm_hidden_size' is {}, expected 1..{}", where, in, 1 << 20);
    if (hidden < 1 || hidden > (1 << 16)) fail("{}: field 'hidden_size' is {}, expected 1..{}", where, hidden, 1 << 16);
    using namespace arch::fastvlm;
    const std::string fc1 = projector(kProjectorFc1), fc2 = projector(kProjectorFc2);
    fc1_ = ws.get(weight(fc1), {hidden, in});
    b1_ = ws.get_f32(bias(fc1), {hidden});
    fc2_ = ws.get(weight(fc2), {hidden, hidden});
    b2_ = ws.get_f32(bias(fc2), {hidden});
}

std::vector<float> Projector::forward(const Compute& c, const float* x, int64_t n,
                                      const ForwardHooks* hooks) const {
    const int64_t H = out_dim();
    std::vector<float> h(static_cast<size_t>(n * H)), out(size_t(n * H));
    apply_linear(c, hooks, fc1_, x, n, b1_.data(), h.data());
    kernels::gelu(c, h.data(), n * H);
    apply_linear(c, hooks, fc2_, h.data(), n, b2_.data(), out.data());
    if (hooks && hooks->tap) hooks->tap("projected", {n, H}, out.data());
    return out;
}

}  // namespace vlmq::model
