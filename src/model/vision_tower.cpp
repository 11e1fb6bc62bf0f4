#include "model/vision_tower.h"

#include <variant>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "kernels/activations.h"
#include "model/vision_blocks.h"

namespace vlmq::model {

using namespace vision;

namespace {

using RepMixerStage = std::vector<RepMixerBlock>;
using AttentionStage = std::vector<AttentionBlock>;
using RepCPE = GroupedConv;  // dwconv7x7 + bias; the identity is already in the kernel centre
using Entry = std::variant<PatchEmbed, RepCPE, RepMixerStage, AttentionStage>;

void tap(const ForwardHooks* hooks, const std::string& name, const FeatureMap& x, std::vector<float>& buf) {
    if (!hooks || !hooks->tap) return;
    buf.resize(x.data.size());
    kernels::hwc_to_chw(x.data.data(), x.pixels(), x.c, buf.data());
    hooks->tap(name, {x.c, x.h, x.w}, buf.data());
}

}  // namespace

struct VisionTower::Impl {
    VisionConfig cfg;
    Stem stem;
    std::vector<Entry> network;
    ConvExp conv_exp;
};

VisionTower::VisionTower(const package::WeightSource& ws) : VisionTower(ws, VisionConfig::from_model_config(ws.config(), (ws.dir() / "config.json").string())) {}

VisionTower::VisionTower(const package::WeightSource& ws, const VisionConfig& cfg) : impl_(std::make_unique<Impl>()) {
    with_context("vision tower", [&] {
        cfg.validate((ws.dir() / "config.json").string());
        Impl& m = *impl_;
        m.cfg = cfg;
        using namespace arch::fastvlm;
        m.stem = load_stem(ws, cfg.embed_dims[0]);
        for (const NetworkEntry& e : network_layout(cfg)) {
            const std::string ep = vision_name(vision_network(e.index));
            const int64_t d = cfg.embed_dims[size_t(e.stage)];
            switch (e.kind) {
                case NetworkEntry::Kind::PatchEmbed:
                    m.network.emplace_back(
                        load_patch_embed(ws, ep, cfg.embed_dims[size_t(e.stage - 1)], d, cfg.down_patch_size));
                    break;
                case NetworkEntry::Kind::RepCPE:
                    m.network.emplace_back(std::in_place_type<RepCPE>,
                                           load_grouped_conv(ws, ep + kReparamConv, d, 1, VisionConfig::kRepCPEKernel,
                                                             1, true));
                    break;
                case NetworkEntry::Kind::Blocks: {
                    const int blocks = cfg.layers[size_t(e.stage)];
                    const int64_t hidden = cfg.mlp_hidden(e.stage);
                    if (cfg.token_mixers[size_t(e.stage)] == TokenMixer::RepMixer) {
                        RepMixerStage stage;
                        for (int b = 0; b < blocks; ++b)
                            stage.push_back(load_repmixer_block(ws, vision_name(vision_block(e.index, b)), d, hidden,
                                                                cfg.repmixer_kernel_size));
                        m.network.emplace_back(std::move(stage));
                    } else {
                        AttentionStage stage;
                        for (int b = 0; b < blocks; ++b)
                            stage.push_back(load_attention_block(ws, vision_name(vision_block(e.index, b)), d, hidden,
                                                                 cfg.attention_head_dim));
                        m.network.emplace_back(std::move(stage));
                    }
                    break;
                }
            }
        }
        m.conv_exp = load_conv_exp(ws, vision_name(kConvExp), cfg.embed_dims.back(), cfg.out_channels(), cfg.se_channels());
    });
}

VisionTower::~VisionTower() = default;
VisionTower::VisionTower(VisionTower&&) noexcept = default;
VisionTower& VisionTower::operator=(VisionTower&&) noexcept = default;

const VisionConfig& VisionTower::config() const { return impl_->cfg; }

std::vector<float> VisionTower::forward(const Compute& c, const float* pixels,
                                        const ForwardHooks* hooks) const {
    const Impl& m = *impl_;
    FeatureMap x;
    Scratch s;
    std::vector<float> tap_buf;
    m.stem.run(c, hooks, pixels, m.cfg.image_size, x, s);
    tap(hooks, "vision.stem", x, tap_buf);
    for (size_t i = 0; i < m.network.size(); ++i) {
        std::visit(
            [&](const auto& entry) {
                using T = std::decay_t<decltype(entry)>;
                if constexpr (std::is_same_v<T, RepCPE>) {
                    entry.run(c, x, s.tmp);
                    std::swap(x, s.tmp);
                } else if constexpr (std::is_same_v<T, PatchEmbed>) {
                    entry.run(c, hooks, x, s);
                } else {
                    for (const auto& block : entry) block.run(c, hooks, x, s);
                }
            },
            m.network[i]);
        tap(hooks, "vision.network." + std::to_string(i), x, tap_buf);
    }
    m.conv_exp.run(c, hooks, x, s);
    tap(hooks, "vision.conv_exp", x, tap_buf);
    return std::move(x.data);
}

}  // namespace vlmq::model
