#pragma once
// Causal grouped-query attention of new query rows against a key/value cache (the Qwen2 decoder's
// self-attention after q/k/v projections and RoPE), fp32.
//
// Query row r sits at position pos0 + r and attends keys 0 .. pos0 + r. Head h reads KV head
// h / (heads / kv_heads). out = softmax(scale * q k^T) v, computed per (row, head) task.
#include <cstdint>

#include "core/compute.h"

namespace vlmq::kernels {

struct AttentionArgs {
    const float* q = nullptr;  // [rows, heads * head_dim], row stride ldq
    int64_t ldq = 0;
    const float* k = nullptr;  // [pos0 + rows, kv_heads * head_dim], row stride ldkv
    const float* v = nullptr;
    int64_t ldkv = 0;
    float* out = nullptr;  // [rows, heads * head_dim], row stride ldo
    int64_t ldo = 0;
    int64_t rows = 0, pos0 = 0, heads = 0, kv_heads = 0, head_dim = 0;
    float scale = 1.0f;
};

// Prefill (rows >= kAttentionGemmRows, a SIMD tier): per (64-row block, head) task, scores = q k^T and
// out = p v through the fp32 GEMM kernels of linear.h. Otherwise (decode steps, reference tier): per
// (row, head) task with dot products (attention_ref / attention_avx2). Tasks are spread over the pool.
inline constexpr int64_t kAttentionGemmRows = 16;
void attention(const Compute& c, const AttentionArgs& a);
// Tasks [t0, t1) (t = row * heads + head); `scores` holds at least pos0 + rows floats.
void attention_ref(const AttentionArgs& a, int64_t t0, int64_t t1, float* scores);
// s[0, n) = softmax(scale * s[0, n)), s[n, total) = 0: one causal row of raw scores.
void softmax_prefix_ref(float* s, int64_t n, int64_t total, float scale);
void attention_avx2(const AttentionArgs& a, int64_t t0, int64_t t1, float* scores);
void softmax_prefix_avx2(float* s, int64_t n, int64_t total, float scale);

}  // namespace vlmq::kernels
