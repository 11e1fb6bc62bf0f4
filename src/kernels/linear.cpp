// Dispatch for the matrix products (one, or several sharing x): scalar reference (c.reference or no AVX2),
// GEMV for small M (int8 activations x int4/int8 codes, or fp32 FMA), blocked GEMM for larger M.
#include "kernels/linear.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/cpu_features.h"
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

namespace {

void check_scales(const qformat::QMatrix& w) {
    if (w.fmt.is_int() && (!w.scales || (!w.fmt.symmetric && !w.biases)))
        fail("linear: {} weight without scales/biases", w.fmt.name());
}

int64_t ldy_of(const LinearOut& o) { return o.ldy ? o.ldy : o.w->rows; }

#if defined(VLMQ_HAVE_AVX2)
// Small-M products of one x on the GEMV kernels, split over threads as one concatenated row range. q8: every
// weight takes the int8-activation path, with one shared quantization of x (they agree on bits and group).
void gemv_batch(const Compute& c, const float* x, int64_t M, int64_t K, int64_t ldx, std::span<const LinearOut> outs,
                bool q8) {
    Q8Acts a;
    if (q8) quantize_acts_q8(x, M, K, ldx, outs[0].w->layout().group, outs[0].w->fmt.bits == 4, true, a);
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
                detail::gemv_q8_avx2(*o.w, a, n0, n1, o.bias, o.y, ldy_of(o));
            else
                detail::gemv_f32_avx2(*o.w, x, M, ldx, n0, n1, o.bias, o.y, ldy_of(o));
        }
    });
}

// Whether a product takes the int8-activation GEMV path.
bool takes_q8(const Compute& c, const qformat::QMatrix& w) { return c.int8_activations && detail::q8_gemv_supported(w); }
#endif

}  // namespace

void linear(const Compute& c, const float* x, int64_t M, const qformat::QMatrix& w, const float* bias, float* y,
            int64_t ldx, int64_t ldy) {
    const LinearOut out{&w, bias, y, ldy};
    linear_batch(c, x, M, std::span<const LinearOut>(&out, 1), ldx);
}

void linear_batch(const Compute& c, const float* x, int64_t M, std::span<const LinearOut> outs, int64_t ldx) {
    if (outs.empty() || M <= 0) return;
    const int64_t K = outs[0].w->cols;
    for (const LinearOut& o : outs) {
        if (o.w->cols != K) fail("linear_batch: weights of {} and {} columns share an input", K, o.w->cols);
        if (o.w->rows > 0) check_scales(*o.w);  // an empty product reads nothing
    }
    if (ldx == 0) ldx = K;
#if defined(VLMQ_HAVE_AVX2)
    if (use_avx2(c)) {
        if (M <= kGemvMaxM) {
            const qformat::QMatrix& w0 = *outs[0].w;
            bool all_q8 = true, any_q8 = false;
            for (const LinearOut& o : outs) {
                const bool q8 = takes_q8(c, *o.w) && o.w->fmt.bits == w0.fmt.bits &&
                                o.w->layout().group == w0.layout().group;
                all_q8 = all_q8 && q8;
                any_q8 = any_q8 || takes_q8(c, *o.w);
            }
            if (all_q8 || !any_q8) return gemv_batch(c, x, M, K, ldx, outs, all_q8);
            for (size_t i = 0; i < outs.size(); ++i)  // mixed paths: each product on its own
                gemv_batch(c, x, M, K, ldx, outs.subspan(i, 1), takes_q8(c, *outs[i].w));
            return;
        }
        for (const LinearOut& o : outs) {
            detail::BOperand b;
            b.w = o.w;
            detail::gemm_avx2(c.pool, x, ldx, b, o.y, ldy_of(o), M, o.w->rows, K, o.bias, false);
        }
        return;
    }
#endif
    for (const LinearOut& o : outs) linear_ref(c.pool, x, M, *o.w, o.bias, o.y, ldx, ldy_of(o));
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
