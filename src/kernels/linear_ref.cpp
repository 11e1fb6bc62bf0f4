#include "kernels/linear.h"

#include <vector>

namespace vlmq::kernels {

void linear_ref(ThreadPool* pool, const float* x, int64_t M, const qformat::QMatrix& w, const float* bias, float* y,
                int64_t ldx, int64_t ldy) {
    const int64_t K = w.cols, N = w.rows;
    parallel_for(pool, N, 16, [&](int64_t n0, int64_t n1) {
        std::vector<float> row(static_cast<size_t>(K));
        for (int64_t n = n0; n < n1; ++n) {
            qformat::dequantize_row_ref(w, n, row.data());
            for (int64_t m = 0; m < M; ++m) {
                const float* xr = x + m * ldx;
                float acc = 0.0f;
                for (int64_t k = 0; k < K; ++k) acc += xr[k] * row[size_t(k)];
                y[m * ldy + n] = acc + (bias ? bias[n] : 0.0f);
            }
        }
    });
}

void matmul_f32_ref(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                    int64_t ldc, int64_t M, int64_t N, int64_t K, bool accumulate) {
    parallel_for(pool, M, 4, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m) {
            float* o = out + m * ldc;
            if (!accumulate)
                for (int64_t n = 0; n < N; ++n) o[n] = 0.0f;
            for (int64_t k = 0; k < K; ++k) {
                const float av = a[m * lda + k];
                const float* br = b + k * ldb;
                for (int64_t n = 0; n < N; ++n) o[n] += av * br[n];
            }
        }
    });
}

void matmul_f32_nt_ref(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                       int64_t ldc, int64_t M, int64_t N, int64_t K) {
    parallel_for(pool, M, 4, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
            for (int64_t n = 0; n < N; ++n) {
                float acc = 0.0f;
                for (int64_t k = 0; k < K; ++k) acc += a[m * lda + k] * b[n * ldb + k];
                out[m * ldc + n] = acc;
            }
    });
}

}  // namespace vlmq::kernels
