// The AVX2 twins of linear.cpp: GEMV for small M (int8 activations x int4/int8 codes, or fp32 FMA), blocked GEMM
// for larger M.
#include <algorithm>
#include <vector>

#include "kernels/act_quant.h"
#include "kernels/gemm.h"
#include "kernels/gemv.h"
#include "kernels/linear.h"

namespace vlmq::kernels::detail {

namespace {

// Up to this many rows of x, a weight row is streamed once per call and dotted with every x row; above
// it the GEMM's packed panels and register blocking win.
constexpr int64_t kGemvMaxM = 4;

// Small-M products of one x on the GEMV kernels, split over threads as one concatenated row range. q8: every
// weight takes the int8-activation path, with one shared quantization of x (they agree on bits and group).
void gemv_batch(const Compute& c, const float* x, int64_t M, int64_t K, int64_t ldx, std::span<const LinearOut> outs,
                bool q8) {
    Q8Acts a;
    if (q8) quantize_acts_q8(c, x, M, K, ldx, outs[0].w->layout().group, outs[0].w->fmt.bits == 4, a);
    std::vector<int64_t> start{0};  // first row of each output in the concatenated row space
    for (const LinearOut& o : outs) start.push_back(start.back() + o.w->rows);
    // ~16k weights per task keeps the pool's hand-off cost small against the work.
    const int64_t grain = std::max<int64_t>(4, 16384 / std::max<int64_t>(1, K));
    parallel_for(c.pool, start.back(), grain, [&](int64_t r0, int64_t r1) {
        for (size_t i = 0; i < outs.size(); ++i) {
            const int64_t n0 = std::max(r0, start[i]) - start[i], n1 = std::min(r1, start[i + 1]) - start[i];
            if (n0 >= n1) continue;
            const LinearOut& o = outs[i];
            if (q8)
                gemv_q8_avx2(*o.w, a, n0, n1, o.bias, o.y, o.y_stride());
            else
                gemv_f32_avx2(*o.w, x, M, ldx, n0, n1, o.bias, o.y, o.y_stride());
        }
    });
}

// Whether a product takes the int8-activation GEMV path.
bool takes_q8(const Compute& c, const qformat::QMatrix& w) { return c.int8_activations && q8_gemv_supported(w); }

}  // namespace

void linear_batch_avx2(const Compute& c, const float* x, int64_t M, std::span<const LinearOut> outs, int64_t ldx) {
    const int64_t K = outs[0].w->cols;
    if (M <= kGemvMaxM) {
        const qformat::QMatrix& w0 = *outs[0].w;
        bool all_q8 = true, any_q8 = false;
        for (const LinearOut& o : outs) {
            const bool q8 =
                takes_q8(c, *o.w) && o.w->fmt.bits == w0.fmt.bits && o.w->layout().group == w0.layout().group;
            all_q8 = all_q8 && q8;
            any_q8 = any_q8 || takes_q8(c, *o.w);
        }
        if (all_q8 || !any_q8) return gemv_batch(c, x, M, K, ldx, outs, all_q8);
        for (size_t i = 0; i < outs.size(); ++i)  // mixed paths: each product on its own
            gemv_batch(c, x, M, K, ldx, outs.subspan(i, 1), takes_q8(c, *outs[i].w));
        return;
    }
    for (const LinearOut& o : outs) {
        BOperand b;
        b.w = o.w;
        gemm_avx2(c.pool, x, ldx, b, o.y, o.y_stride(), M, o.w->rows, K, o.bias, false);
    }
}

void matmul_f32_avx2(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                     int64_t ldc, int64_t M, int64_t N, int64_t K, bool accumulate) {
    if (M <= kGemvMaxM) {
        const int64_t grain = std::max<int64_t>(32, 16384 / std::max<int64_t>(1, K));
        return parallel_for(pool, N, grain, [&](int64_t n0, int64_t n1) {
            gemv_nn_f32_avx2(a, lda, M, b, ldb, K, n0, n1, out, ldc, accumulate);
        });
    }
    BOperand op;
    op.kind = BOperand::Kind::KN;
    op.b = b;
    op.ldb = ldb;
    gemm_avx2(pool, a, lda, op, out, ldc, M, N, K, nullptr, accumulate);
}

void matmul_f32_nt_avx2(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                        int64_t ldc, int64_t M, int64_t N, int64_t K) {
    if (M <= kGemvMaxM) {
        const int64_t grain = std::max<int64_t>(4, 16384 / std::max<int64_t>(1, K));
        return parallel_for(pool, N, grain, [&](int64_t n0, int64_t n1) {
            gemv_nt_f32_avx2(b, ldb, K, a, M, lda, n0, n1, out, ldc);
        });
    }
    BOperand op;
    op.kind = BOperand::Kind::NK;
    op.b = b;
    op.ldb = ldb;
    gemm_avx2(pool, a, lda, op, out, ldc, M, N, K, nullptr, false);
}

}  // namespace vlmq::kernels::detail
