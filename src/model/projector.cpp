#include "model/projector.h"

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "kernels/activations.h"
#include "model/fastvlm_config.h"

namespace vlmq::model {

Projector::Projector(const package::WeightSource& ws) {
    const ProjectorConfig cfg = ProjectorConfig::from_json(ws.config(), (ws.dir() / "config.json").string());
    const int64_t in = cfg.in_dim, hidden = cfg.out_dim;
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
