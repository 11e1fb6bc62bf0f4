// Dispatch for the matrix products (one, or several sharing x): checks, default strides, and the twin of the
// kernel tier.
#include "kernels/linear.h"

#include "core/error.h"

namespace vlmq::kernels {

namespace {

void check_scales(const qformat::QMatrix& w) {
    if (w.fmt.is_int() && (!w.scales || (!w.fmt.symmetric && !w.biases)))
        fail("linear: {} weight without scales/biases", w.fmt.name());
}

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
    by_tier(
        tier_of(c), [&] { for (const LinearOut& o : outs) linear_ref(c.pool, x, M, *o.w, o.bias, o.y, ldx, o.y_stride()); },
        [&] { detail::linear_batch_avx2(c, x, M, outs, ldx); });
}

void matmul_f32(const Compute& c, const float* a, int64_t lda, const float* b, int64_t ldb, float* out, int64_t ldc,
                int64_t M, int64_t N, int64_t K, bool accumulate) {
    by_tier(
        tier_of(c), [&] { matmul_f32_ref(c.pool, a, lda, b, ldb, out, ldc, M, N, K, accumulate); },
        [&] { detail::matmul_f32_avx2(c.pool, a, lda, b, ldb, out, ldc, M, N, K, accumulate); });
}

void matmul_f32_nt(const Compute& c, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                   int64_t ldc, int64_t M, int64_t N, int64_t K) {
    by_tier(
        tier_of(c), [&] { matmul_f32_nt_ref(c.pool, a, lda, b, ldb, out, ldc, M, N, K); },
        [&] { detail::matmul_f32_nt_avx2(c.pool, a, lda, b, ldb, out, ldc, M, N, K); });
}

}  // namespace vlmq::kernels
