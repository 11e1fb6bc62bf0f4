#pragma once
// Every tensor name of the FastVLM (LLaVA-Qwen2) checkpoint, spelled once (fastvlm-architecture.md §3).
// The loader (model/), the architecture rules (fastvlm_arch.cpp), synth and both exporters build names from
// here; the rules' regexes come from the same paths through regex_literal().
//
// Spelling: a path ending in '.' is a container (append more), a leaf module gets a parameter appended:
//   vision_name(weight(vision_block(7, 0) + kAttnQkv)) == "model.vision_tower.vision_tower.model.network.7.0.token_mixer.qkv.weight"
//   bias(layer(3) + kAttnQ)                            == "model.layers.3.self_attn.q_proj.bias"
#include <string>
#include <string_view>

namespace vlmq::arch::fastvlm {

// Parameters of a leaf module.
inline constexpr const char* kWeight = ".weight";
inline constexpr const char* kBias = ".bias";
std::string weight(std::string_view leaf);  // leaf + kWeight
std::string bias(std::string_view leaf);    // leaf + kBias

// ---- Vision tower (FastViT). Paths below are relative to kVisionPrefix, as the tower's own tables use them.
inline constexpr const char* kVisionTower = "model.vision_tower.";  // LLaVA's vision tower module
// The FastViT network inside it: the prefix of every tower tensor.
inline constexpr const char* kVisionPrefix = "model.vision_tower.vision_tower.model.";
std::string vision_name(std::string_view relative);  // kVisionPrefix + relative

inline constexpr const char* kStem = "patch_embed.";
std::string vision_stem(int i);               // "patch_embed.{i}." (MobileOne blocks 0..2)
inline constexpr const char* kNetwork = "network.";
std::string vision_network(int index);        // "network.{index}." (PatchEmbed, RepCPE or a stage)
std::string vision_block(int index, int b);   // "network.{index}.{b}." (block b of a stage)
inline constexpr const char* kConvExp = "conv_exp.";
inline constexpr const char* kHead = "head.";  // GlobalPool2D, unused by the VLM
std::string vision_head_proj();                 // "head.proj" (a bare parameter)

// Leaf modules inside those containers.
inline constexpr const char* kReparamConv = "reparam_conv";          // stem, RepCPE, conv_exp
inline constexpr const char* kPatchEmbedDown = "proj.0.lkb_reparam";  // PatchEmbed: grouped kxk stride 2
inline constexpr const char* kPatchEmbedProj = "proj.1.reparam_conv"; // PatchEmbed: 1x1
inline constexpr const char* kMixerConv = "token_mixer.reparam_conv"; // RepMixer block
inline constexpr const char* kAttnNorm = "norm";                      // attention block LayerNormChannel
inline constexpr const char* kAttnQkv = "token_mixer.qkv";
inline constexpr const char* kAttnProj = "token_mixer.proj";
inline constexpr const char* kConvFfn = "convffn.";                   // container of the next four
inline constexpr const char* kFfnConv = "conv.conv";                  // depthwise kxk, no bias
inline constexpr const char* kFfnBatchNorm = "conv.bn";               // + kWeight, kBias, kBnMean, kBnVar, kBnCounter
inline constexpr const char* kFfnFc1 = "fc1";
inline constexpr const char* kFfnFc2 = "fc2";
inline constexpr const char* kLayerScale = "layer_scale";     // RepMixer block
inline constexpr const char* kLayerScale1 = "layer_scale_1";  // attention block, after attention
inline constexpr const char* kLayerScale2 = "layer_scale_2";  // attention block, after the ConvFFN
inline constexpr const char* kSeReduce = "se.reduce";          // conv_exp squeeze-excite
inline constexpr const char* kSeExpand = "se.expand";

// BatchNorm buffers besides kWeight (gamma) and kBias (beta); the counter is int64 and read by nobody.
inline constexpr const char* kBnMean = ".running_mean";
inline constexpr const char* kBnVar = ".running_var";
inline constexpr const char* kBnCounter = ".num_batches_tracked";

// ---- Projector (mlp2x_gelu): Linear at index 0, GELU at 1 (no tensors), Linear at 2.
inline constexpr const char* kProjector = "model.mm_projector.";
inline constexpr int kProjectorFc1 = 0, kProjectorFc2 = 2;
std::string projector(int index);  // "model.mm_projector.{index}" (leaf)

// ---- Qwen2 decoder.
inline constexpr const char* kEmbedTokens = "model.embed_tokens";
inline constexpr const char* kLayers = "model.layers.";
std::string layer(int i);  // "model.layers.{i}."
inline constexpr const char* kFinalNorm = "model.norm";
inline constexpr const char* kLmHead = "lm_head";

// Leaf modules inside a decoder layer.
inline constexpr const char* kInputNorm = "input_layernorm";
inline constexpr const char* kPostAttnNorm = "post_attention_layernorm";
inline constexpr const char* kAttnQ = "self_attn.q_proj";
inline constexpr const char* kAttnK = "self_attn.k_proj";
inline constexpr const char* kAttnV = "self_attn.v_proj";
inline constexpr const char* kAttnO = "self_attn.o_proj";
inline constexpr const char* kMlpGate = "mlp.gate_proj";
inline constexpr const char* kMlpUp = "mlp.up_proj";
inline constexpr const char* kMlpDown = "mlp.down_proj";

}  // namespace vlmq::arch::fastvlm
