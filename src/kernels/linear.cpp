// Dispatch for the matrix products: scalar reference (c.reference or no AVX2), GEMV for small M
// (int8 activations x int4/int8 codes, or fp32 FMA), blocked GEMM for larger M.
#include "kernels/linear.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "kernels/cpu_features.h"
#include "kernels/linear_ref.h"
#if defined(VLMQ_HAVE_AVX2)
#include "kernels/act_quant.h"
#include "kernels/gemm.h"
#include "kernels/gemv.h"
#endif

namespace vlmq::kernels {

namespace {

// Up to this many rows of x, a weight row is streamed once per call and dotted with every x row; above
// it the GEMM's packed panels and register blocking win.
constexpr int64_t kGemvMaxM = 4;

}  // namespace

void linear(const Compute& c, const float* x, int64_t M, const qformat::QMatrix& w, const float* bias, float* y,
            int64_t ldx, int64_t ldy) {
    const int64_t K = w.cols, N = w.rows;
    if (ldx == 0) ldx = K;
    if (ldy == 0) ldy = N;
    if (M <= 0 || N <= 0) return;
    if (w.fmt.is_int() && (!w.scales || (!w.fmt.symmetric && !w.biases)))
        fail("linear: {} weight without scales/biases", w.fmt.name());
#if defined(VLMQ_HAVE_AVX2)
    if (use_avx2(c)) {
        if (M > kGemvMaxM) {
            detail::BOperand b;
            b.w = &w;
            return detail::gemm_avx2(c.pool, x, ldx, b, y, ldy, M, N, K, bias, false);
        }
        // ~16k weights per task keeps the pool's hand-off cost small against the work.
        const int64_t grain = std::max<int64_t>(4, 16384 / std::max<int64_t>(1, K));
        if (c.int8_activations && detail::q8_gemv_supported(w)) {
            Q8Acts a;
            quantize_acts_q8(x, M, K, ldx, w.layout().group, w.fmt.bits == 4, true, a);
            parallel_for(c.pool, N, grain, [&](int64_t n0, int64_t n1) { detail::gemv_q8_avx2(w, a, n0, n1, bias, y, ldy); });
        } else {
            parallel_for(c.pool, N, grain,
                         [&](int64_t n0, int64_t n1) { detail::gemv_f32_avx2(w, x, M, ldx, n0, n1, bias, y, ldy); });
        }
        return;
    }
#endif
    linear_ref(c.pool, x, M, w, bias, y, ldx, ldy);
}

void linear_batch(const Compute& c, const float* x, int64_t M, std::span<const LinearOut> outs, int64_t ldx) {
    if (outs.empty() || M <= 0) return;
    const int64_t K = outs[0].w->cols;
    for (const LinearOut& o : outs)
        if (o.w->cols != K) fail("linear_batch: weights of {} and {} columns share an input", K, o.w->cols);
    if (ldx == 0) ldx = K;
#if defined(VLMQ_HAVE_AVX2)
    auto same_q8 = [&] {
        if (!c.int8_activations) return false;
        for (const LinearOut& o : outs)
            if (!detail::q8_gemv_supported(*o.w) || o.w->fmt.bits != outs[0].w->fmt.bits ||
                o.w->layout().group != outs[0].w->layout().group)
                return false;
        return true;
    };
    if (use_avx2(c) && M <= kGemvMaxM && outs.size() > 1) {
        const bool q8 = same_q8();
        bool any_int = false;
        for (const LinearOut& o : outs) any_int = any_int || o.w->fmt.is_int();
        if (q8 || !(c.int8_activations && any_int)) {  // the path each separate call would take
            for (const LinearOut& o : outs)
                if (o.w->fmt.is_int() && (!o.w->scales || (!o.w->fmt.symmetric && !o.w->biases)))
                    fail("linear: {} weight without scales/biases", o.w->fmt.name());
            Q8Acts a;
            if (q8) quantize_acts_q8(x, M, K, ldx, outs[0].w->layout().group, outs[0].w->fmt.bits == 4, true, a);
            std::vector<int64_t> start{0};  // first row of each output in the concatenated row space
            for (const LinearOut& o : outs) start.push_back(start.back() + o.w->rows);
            const int64_t grain = std::max<int64_t>(4, 16384 / std::max<int64_t>(1, K));
            parallel_for(c.pool, start.back(), grain, [&](int64_t r0, int64_t r1) {
                for (size_t i = 0; i < outs.size(); ++i) {
                    const int64_t n0 = std::max(r0, start[i]) - start[i], n1 = std::min(r1, start[i + 1]) - start[i];
                    if (n0 >= n1) continue;
                    const LinearOut& o = outs[i];
                    const int64_t ldy = o.ldy ? o.ldy : o.w->rows;
                    if (q8)
                        detail::gemv_q8_avx2(*o.w, a, n0, n1, o.bias, o.y, ldy);
                    else
                        detail::gemv_f32_avx2(*o.w, x, M, ldx, n0, n1, o.bias, o.y, ldy);
                }
            });
            return;
        }
    }
#endif
    for (const LinearOut& o : outs) linear(c, x, M, *o.w, o.bias, o.y, ldx, o.ldy);
}

void matmul_f32(const Compute& c, const float* a, int64_t lda, const float* b, int64_t ldb, float* out, int64_t ldc,
                int64_t M, int64_t N, int64_t K, bool accumulate) {
#if defined(VLMQ_HAVE_AVX2)
    if (use_avx2(c)) {
        if (M <= kGemvMaxM) {
            const int64_t grain = std::max<int64_t>(32, 16384 / std::max<int64_t>(1, K));
            return parallel_for(c.pool, N, grain, [&](int64_t n0, int64_t n1) {
                detail::gemv_nn_f32_avx2(a, lda, M, b, ldb, K, n0, n1, out, ldc, accumulate);
            });
        }
        detail::BOperand op;
        op.kind = detail::BOperand::Kind::KN;
        op.b = b;
        op.ldb = ldb;
        return detail::gemm_avx2(c.pool, a, lda, op, out, ldc, M, N, K, nullptr, accumulate);
    }
#endif
    matmul_f32_ref(c.pool, a, lda, b, ldb, out, ldc, M, N, K, accumulate);
}

void matmul_f32_nt(const Compute& c, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                   int64_t ldc, int64_t M, int64_t N, int64_t K) {
#if defined(VLMQ_HAVE_AVX2)
    if (use_avx2(c)) {
        if (M <= kGemvMaxM) {
            const int64_t grain = std::max<int64_t>(4, 16384 / std::max<int64_t>(1, K));
            return parallel_for(c.pool, N, grain, [&](int64_t n0, int64_t n1) {
                detail::gemv_nt_f32_avx2(b, ldb, K, a, M, lda, n0, n1, out, ldc);
            });
        }
        detail::BOperand op;
        op.kind = detail::BOperand::Kind::NK;
        op.b = b;
        op.ldb = ldb;
        return detail::gemm_avx2(c.pool, a, lda, op, out, ldc, M, N, K, nullptr, false);
    }
#endif
    matmul_f32_nt_ref(c.pool, a, lda, b, ldb, out, ldc, M, N, K);
}

}  // namespace vlmq::kernels
