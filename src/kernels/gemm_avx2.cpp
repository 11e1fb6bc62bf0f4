// Blocked fp32 GEMM: tiles of TM x TN outputs are the parallel tasks; inside a tile, for each KC-slice
// of K the tile's B columns are packed (dequantized/converted) into NR-wide panels [k][16], then a 6x16
// register-blocked FMA micro-kernel runs over every (NR panel, 6 rows of A) pair. The B panel (KC x 16
// floats = 16 KiB) stays in L1 while the A rows of the tile stream from L2. A is read in place.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/avx2_util.h"
#include "kernels/gemm.h"
#include "qformat/dequant.h"

namespace vlmq::kernels::detail {

namespace {

constexpr int MR = 6, NR = 16;
constexpr int64_t KC = 256, TM = 384, TN = 256;

// 8x8 transpose of rows r[0..7] (8 floats each) into columns.
inline void transpose8(__m256 r[8]) {
    __m256 t[8];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    __m256 u[8];
    for (int i = 0; i < 2; ++i) {
        u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

// Packs B(n, k) for n in [n0, n0 + nn), k in [k0, k0 + kc) into panels: panel p holds columns
// n0 + 16p .. +16 as bp[p * kc * 16 + k * 16 + j]; columns past nn are zero.
void pack_b(const BOperand& b, int64_t n0, int64_t nn, int64_t k0, int64_t kc, float* bp, float* rows) {
    const int64_t panels = (nn + NR - 1) / NR;
    if (b.kind == BOperand::Kind::KN) {
        for (int64_t p = 0; p < panels; ++p) {
            const int64_t w = std::min<int64_t>(NR, nn - p * NR);
            float* dst = bp + p * kc * NR;
            for (int64_t k = 0; k < kc; ++k) {
                const float* src = b.b + (k0 + k) * b.ldb + n0 + p * NR;
                if (w == NR) {
                    _mm256_storeu_ps(dst + k * NR, _mm256_loadu_ps(src));
                    _mm256_storeu_ps(dst + k * NR + 8, _mm256_loadu_ps(src + 8));
                } else {
                    std::memset(dst + k * NR, 0, NR * 4);
                    std::memcpy(dst + k * NR, src, size_t(w) * 4);
                }
            }
        }
        return;
    }
    // Row-wise sources: 8 rows (half a panel) at a time into `rows` [8][kc], then 8x8 transposes.
    for (int64_t h = 0; h < panels * 2; ++h) {
        const float* src[8];
        for (int i = 0; i < 8; ++i) {
            const int64_t n = n0 + h * 8 + i;
            float* tmp = rows + i * kc;
            if (n >= n0 + nn) {
                std::memset(tmp, 0, size_t(kc) * 4);
                src[i] = tmp;
            } else if (b.kind == BOperand::Kind::NK) {
                src[i] = b.b + n * b.ldb + k0;
            } else if (qformat::stored_dtype(b.w->fmt) == DType::F32) {
                src[i] = reinterpret_cast<const float*>(b.w->row_data(n)) + k0;
            } else {
                qformat::detail::dequantize_row_range_avx2(*b.w, n, k0, k0 + kc, tmp);
                src[i] = tmp;
            }
        }
        float* dst = bp + (h / 2) * kc * NR + (h % 2) * 8;
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src[i] + k);
            transpose8(r);
            for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (k + i) * NR, r[i]);
        }
        for (; k < kc; ++k)
            for (int i = 0; i < 8; ++i) dst[k * NR + i] = src[i][k];
    }
}

// C[0..mr, 0..nr) (=|+=) A[0..6, 0..kc) * panel. Rows of A past mr repeat the last valid row.
inline void micro_6x16(int64_t kc, const float* a, int64_t lda, int mr, const float* bp, float* c, int64_t ldc,
                       int nr, bool add, const float* bias) {
    const float* ar[MR];
    for (int i = 0; i < MR; ++i) ar[i] = a + std::min(i, mr - 1) * lda;
    __m256 acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        const __m256 b0 = _mm256_loadu_ps(bp + k * NR), b1 = _mm256_loadu_ps(bp + k * NR + 8);
        for (int i = 0; i < MR; ++i) {
            const __m256 av = _mm256_broadcast_ss(ar[i] + k);
            acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
        }
    }
    if (bias && !add) {
        alignas(32) float bb[NR] = {};
        std::memcpy(bb, bias, size_t(nr) * 4);
        const __m256 b0 = _mm256_load_ps(bb), b1 = _mm256_load_ps(bb + 8);
        for (int i = 0; i < MR; ++i) {
            acc[i][0] = _mm256_add_ps(acc[i][0], b0);
            acc[i][1] = _mm256_add_ps(acc[i][1], b1);
        }
    }
    if (mr == MR && nr == NR) {
        for (int i = 0; i < MR; ++i) {
            float* ci = c + i * ldc;
            if (add) {
                acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(ci));
                acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(ci + 8));
            }
            _mm256_storeu_ps(ci, acc[i][0]);
            _mm256_storeu_ps(ci + 8, acc[i][1]);
        }
        return;
    }
    alignas(32) float tile[MR][NR];
    for (int i = 0; i < MR; ++i) {
        _mm256_store_ps(tile[i], acc[i][0]);
        _mm256_store_ps(tile[i] + 8, acc[i][1]);
    }
    for (int i = 0; i < mr; ++i)
        for (int j = 0; j < nr; ++j) c[i * ldc + j] = add ? c[i * ldc + j] + tile[i][j] : tile[i][j];
}

}  // namespace

void gemm_avx2(ThreadPool* pool, const float* a, int64_t lda, const BOperand& b, float* c, int64_t ldc, int64_t M,
               int64_t N, int64_t K, const float* bias, bool accumulate) {
    if (M <= 0 || N <= 0) return;
    if (K == 0) {
        if (!accumulate)
            for (int64_t m = 0; m < M; ++m)
                for (int64_t n = 0; n < N; ++n) c[m * ldc + n] = bias ? bias[n] : 0.0f;
        return;
    }
    const int64_t tiles_m = (M + TM - 1) / TM, tiles_n = (N + TN - 1) / TN;
    parallel_for(pool, tiles_m * tiles_n, 1, [&](int64_t t0, int64_t t1) {
        const int64_t kcap = std::min(KC, K), ncap = (std::min(TN, N) + NR - 1) / NR * NR;
        std::vector<float> bp(static_cast<size_t>(kcap * ncap)), rows(static_cast<size_t>(8 * kcap));
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t m0 = (t / tiles_n) * TM, n0 = (t % tiles_n) * TN;
            const int64_t mm = std::min(TM, M - m0), nn = std::min(TN, N - n0);
            for (int64_t k0 = 0; k0 < K; k0 += KC) {
                const int64_t kc = std::min(KC, K - k0);
                pack_b(b, n0, nn, k0, kc, bp.data(), rows.data());
                const bool add = accumulate || k0 > 0;
                for (int64_t j = 0; j < nn; j += NR) {
                    const float* panel = bp.data() + (j / NR) * kc * NR;
                    const int nr = int(std::min<int64_t>(NR, nn - j));
                    for (int64_t i = 0; i < mm; i += MR)
                        micro_6x16(kc, a + (m0 + i) * lda + k0, lda, int(std::min<int64_t>(MR, mm - i)), panel,
                                   c + (m0 + i) * ldc + n0 + j, ldc, nr, add, bias ? bias + n0 + j : nullptr);
                }
            }
        }
    });
}

}  // namespace vlmq::kernels::detail
