// AVX2 twin of gemv_q8.cpp. int4: a 32-byte load holds two blocks; its low nibbles are the even
// elements and its high nibbles the odd ones of both blocks, which is exactly how Q8Acts orders a pair
// (act_quant.h), so one vpmaddubsw per half needs no shuffles. int8: codes xor 0x80 give signed w8;
// |w8| x sign(q, w8) keeps vpmaddubsw's pair sums below 2^15 (128 * 127 * 2).
#include <algorithm>
#include <vector>

#include "core/avx2_util.h"
#include "kernels/gemv.h"

namespace vlmq::kernels::detail {

namespace av = avx2;

namespace {

template <int MR, int BITS>
void rows_q8(const qformat::QMatrix& w, const Q8Acts& a, int64_t m0, int64_t n0, int64_t n1, const float* bias,
             float* y, int64_t ldy, float* sd) {
    const qformat::Layout l = w.layout();
    const int64_t K = w.cols, nb = K / 32, ng = l.groups_per_row, per = l.group / 32;
    const bool sym = w.fmt.symmetric;
    const __m256i ones16 = _mm256_set1_epi16(1);
    const __m256i nib = _mm256_set1_epi8(0x0f);
    const __m256i idx01 = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    const int8_t* q[MR];
    const float* d[MR];
    const float* gs[MR];
    for (int r = 0; r < MR; ++r) {
        q[r] = a.q.data() + (m0 + r) * K;
        d[r] = a.d.data() + (m0 + r) * nb;
        gs[r] = a.gsum.data() + (m0 + r) * ng;
    }
    for (int64_t n = n0; n < n1; ++n) {
        const uint8_t* row = w.row_data(n);
        const uint16_t* sc = w.scales + n * ng;
        const uint16_t* bi = sym ? nullptr : w.biases + n * ng;
        // sd[r][b] = s_g(b) * d_b: the scale product of every block dot.
        for (int r = 0; r < MR; ++r) {
            float* o = sd + r * nb;
            if (per == 1) {
                int64_t b = 0;
                for (; b + 8 <= nb; b += 8)
                    _mm256_storeu_ps(o + b, _mm256_mul_ps(av::load_f16x8(sc + b), _mm256_loadu_ps(d[r] + b)));
                for (; b < nb; ++b) o[b] = _cvtsh_ss(sc[b]) * d[r][b];
            } else {
                for (int64_t g = 0; g < ng; ++g) {
                    const float s = _cvtsh_ss(sc[g]);
                    for (int64_t b = g * per; b < (g + 1) * per; ++b) o[b] = s * d[r][b];
                }
            }
        }
        // A independent accumulators per row break the FMA latency chain when few rows share the loads.
        constexpr int A = MR == 1 ? 4 : MR == 2 ? 2 : 1;
        __m256 acc[MR][A];
        for (int r = 0; r < MR; ++r)
            for (int i = 0; i < A; ++i) acc[r][i] = _mm256_setzero_ps();
        if constexpr (BITS == 4) {
            auto pair = [&](int64_t b, int i) {  // blocks b, b + 1
                if ((b & 3) == 0) av::prefetch_ahead(row + 16 * b);  // once per 64-byte line
                const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 16 * b));
                const __m256i lo = _mm256_and_si256(wv, nib);
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(wv, 4), nib);
                for (int r = 0; r < MR; ++r) {
                    const __m256i qe = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[r] + 32 * b));
                    const __m256i qo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[r] + 32 * b + 32));
                    const __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(lo, qe), _mm256_maddubs_epi16(hi, qo));
                    const __m256 f = _mm256_cvtepi32_ps(_mm256_madd_epi16(s16, ones16));
                    const __m128 two = _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sd + r * nb + b)));
                    const __m256 s = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(two), idx01);
                    acc[r][i] = _mm256_fmadd_ps(f, s, acc[r][i]);
                }
            };
            int64_t b = 0;
            for (; b + 2 * A <= nb; b += 2 * A)
                for (int i = 0; i < A; ++i) pair(b + 2 * i, i);
            for (; b + 2 <= nb; b += 2) pair(b, 0);
            if (b < nb) {  // trailing single block: [evens | odds] in Q8Acts
                const __m128i w16 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * b));
                const __m256i wv = _mm256_set_m128i(_mm_srli_epi16(w16, 4), w16);
                const __m256i u = _mm256_and_si256(wv, nib);
                for (int r = 0; r < MR; ++r) {
                    const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[r] + 32 * b));
                    const __m256 f = _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(u, qv), ones16));
                    acc[r][0] = _mm256_fmadd_ps(f, _mm256_broadcast_ss(sd + r * nb + b), acc[r][0]);
                }
            }
        } else {
            const __m256i flip = _mm256_set1_epi8(char(0x80));
            auto block = [&](int64_t b, int i) {
                if ((b & 1) == 0) av::prefetch_ahead(row + 32 * b);
                const __m256i w8 =
                    _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 32 * b)), flip);
                const __m256i aw = _mm256_abs_epi8(w8);
                for (int r = 0; r < MR; ++r) {
                    const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[r] + 32 * b));
                    const __m256i s16 = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(qv, w8));
                    const __m256 f = _mm256_cvtepi32_ps(_mm256_madd_epi16(s16, ones16));
                    acc[r][i] = _mm256_fmadd_ps(f, _mm256_broadcast_ss(sd + r * nb + b), acc[r][i]);
                }
            };
            int64_t b = 0;
            for (; b + A <= nb; b += A)
                for (int i = 0; i < A; ++i) block(b + i, i);
            for (; b < nb; ++b) block(b, 0);
        }
        for (int r = 0; r < MR; ++r)
            for (int i = 1; i < A; ++i) acc[r][0] = _mm256_add_ps(acc[r][0], acc[r][i]);
        // Offset / bias correction: sum_g c_g * gsum_g (see gemv_q8.cpp).
        for (int r = 0; r < MR; ++r) {
            float corr = 0.0f;
            if (BITS == 4 || !sym) {
                auto coef = [&](__m256 s, __m256 m) {
                    if (BITS == 4) return sym ? _mm256_mul_ps(s, _mm256_set1_ps(-8.0f)) : m;
                    return _mm256_fmadd_ps(s, _mm256_set1_ps(128.0f), m);
                };
                __m256 cacc = _mm256_setzero_ps();
                int64_t g = 0;
                for (; g + 8 <= ng; g += 8) {
                    const __m256 s = av::load_f16x8(sc + g);
                    const __m256 m = sym ? _mm256_setzero_ps() : av::load_f16x8(bi + g);
                    cacc = _mm256_fmadd_ps(coef(s, m), _mm256_loadu_ps(gs[r] + g), cacc);
                }
                corr = av::hsum(cacc);
                for (; g < ng; ++g) {
                    const float s = _cvtsh_ss(sc[g]), m = sym ? 0.0f : _cvtsh_ss(bi[g]);
                    const float c = BITS == 4 ? (sym ? -8.0f * s : m) : 128.0f * s + m;
                    corr += c * gs[r][g];
                }
            }
            y[(m0 + r) * ldy + n] = av::hsum(acc[r][0]) + corr + (bias ? bias[n] : 0.0f);
        }
    }
}

template <int BITS>
void dispatch_mr(const qformat::QMatrix& w, const Q8Acts& a, int64_t n0, int64_t n1, const float* bias, float* y,
                 int64_t ldy, float* sd) {
    for (int64_t m0 = 0; m0 < a.M; m0 += 4) {
        switch (std::min<int64_t>(4, a.M - m0)) {
            case 1: rows_q8<1, BITS>(w, a, m0, n0, n1, bias, y, ldy, sd); break;
            case 2: rows_q8<2, BITS>(w, a, m0, n0, n1, bias, y, ldy, sd); break;
            case 3: rows_q8<3, BITS>(w, a, m0, n0, n1, bias, y, ldy, sd); break;
            default: rows_q8<4, BITS>(w, a, m0, n0, n1, bias, y, ldy, sd); break;
        }
    }
}

}  // namespace

void gemv_q8_avx2(const qformat::QMatrix& w, const Q8Acts& a, int64_t n0, int64_t n1, const float* bias, float* y,
                  int64_t ldy) {
    std::vector<float> sd(static_cast<size_t>(4 * (w.cols / 32)));
    if (w.fmt.bits == 4)
        dispatch_mr<4>(w, a, n0, n1, bias, y, ldy, sd.data());
    else
        dispatch_mr<8>(w, a, n0, n1, bias, y, ldy, sd.data());
}

}  // namespace vlmq::kernels::detail
