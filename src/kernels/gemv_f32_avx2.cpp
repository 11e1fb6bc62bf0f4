// fp32-activation GEMV: f32/f16/bf16 weights converted on the fly, int weights dequantized 8 codes at a
// time in registers (same values as dequantize_row_ref), FMA dot products against up to 4 rows of x.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/half.h"
#include "core/avx2_util.h"
#include "kernels/gemv.h"
#include "qformat/dequant.h"

namespace vlmq::kernels::detail {

namespace av = avx2;

namespace {

struct LoadF32 {
    const float* p;
    static constexpr int kBytes = 4;
    void prefetch(int64_t k) const { av::prefetch_ahead(p + k); }
    __m256 vec(int64_t k) const { return _mm256_loadu_ps(p + k); }
    float one(int64_t k) const { return p[k]; }
};
struct LoadF16 {
    const uint16_t* p;
    static constexpr int kBytes = 2;
    void prefetch(int64_t k) const { av::prefetch_ahead(p + k); }
    __m256 vec(int64_t k) const { return av::load_f16x8(p + k); }
    float one(int64_t k) const { return _cvtsh_ss(p[k]); }
};
struct LoadBF16 {
    const uint16_t* p;
    static constexpr int kBytes = 2;
    void prefetch(int64_t k) const { av::prefetch_ahead(p + k); }
    __m256 vec(int64_t k) const { return av::load_bf16x8(p + k); }
    float one(int64_t k) const { return bf16_to_f32(p[k]); }
};

// out[r] = <W row, x[r]> for r < MR; U independent accumulators per row hide the FMA latency.
template <int MR, int U, class L>
void dot_rows(const L& w, const float* const* x, int64_t K, float* out) {
    __m256 acc[MR][U];
    for (int r = 0; r < MR; ++r)
        for (int u = 0; u < U; ++u) acc[r][u] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 8 * U <= K; k += 8 * U)
        for (int u = 0; u < U; ++u) {
            if ((8 * u * L::kBytes) % 64 == 0) w.prefetch(k + 8 * u);  // once per 64-byte line
            const __m256 wv = w.vec(k + 8 * u);
            for (int r = 0; r < MR; ++r) acc[r][u] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[r] + k + 8 * u), acc[r][u]);
        }
    for (; k + 8 <= K; k += 8) {
        const __m256 wv = w.vec(k);
        for (int r = 0; r < MR; ++r) acc[r][0] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[r] + k), acc[r][0]);
    }
    for (int r = 0; r < MR; ++r) {
        for (int u = 1; u < U; ++u) acc[r][0] = _mm256_add_ps(acc[r][0], acc[r][u]);
        float s = av::hsum(acc[r][0]);
        for (int64_t kk = k; kk < K; ++kk) s += w.one(kk) * x[r][kk];
        out[r] = s;
    }
}

// Int weights with groups of a multiple of 8 elements: each 8-chunk of codes is dequantized in registers
// (same values as dequantize_row_ref) and used at once, group by group.
template <int MR, int B, bool SYM>
void dot_rows_int(const qformat::QMatrix& w, int64_t n, const float* const* x, float* out) {
    const qformat::Layout l = w.layout();
    const uint8_t* row = w.row_data(n);
    const uint16_t* sc = w.scales + n * l.groups_per_row;
    const uint16_t* bi = SYM ? nullptr : w.biases + n * l.groups_per_row;
    const __m256 off = _mm256_set1_ps(float(1 << (B - 1)));
    __m256 acc[MR][2];
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t g = 0; g < l.groups_per_row; ++g) {
        const __m256 s = _mm256_set1_ps(_cvtsh_ss(sc[g]));
        const __m256 m = SYM ? s : _mm256_set1_ps(_cvtsh_ss(bi[g]));
        auto chunk = [&](int64_t k, int i) {
            const __m256 u = _mm256_cvtepi32_ps(av::codes8<B>(row + k * B / 8));
            const __m256 wv = SYM ? _mm256_mul_ps(s, _mm256_sub_ps(u, off)) : _mm256_fmadd_ps(s, u, m);
            for (int r = 0; r < MR; ++r) acc[r][i] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[r] + k), acc[r][i]);
        };
        const int64_t k1 = (g + 1) * l.group;
        int64_t k = g * l.group;
        for (; k + 16 <= k1; k += 16) {
            if (((k * B / 8) & 63) < 2 * B) av::prefetch_ahead(row + k * B / 8);  // about once per 64-byte line
            chunk(k, 0);
            chunk(k + 8, 1);
        }
        if (k < k1) chunk(k, 0);
    }
    for (int r = 0; r < MR; ++r) out[r] = av::hsum(_mm256_add_ps(acc[r][0], acc[r][1]));
}

template <int MR>
using DotInt = void (*)(const qformat::QMatrix&, int64_t, const float* const*, float*);

template <int MR, int B>
DotInt<MR> pick_bits(bool sym) {
    return sym ? &dot_rows_int<MR, B, true> : &dot_rows_int<MR, B, false>;
}

template <int MR>
DotInt<MR> pick_int(const qformat::QMatrix& w) {
    if (w.layout().group % 8 != 0) return nullptr;
    switch (w.fmt.bits) {
        case 2: return pick_bits<MR, 2>(w.fmt.symmetric);
        case 3: return pick_bits<MR, 3>(w.fmt.symmetric);
        case 4: return pick_bits<MR, 4>(w.fmt.symmetric);
        case 5: return pick_bits<MR, 5>(w.fmt.symmetric);
        case 6: return pick_bits<MR, 6>(w.fmt.symmetric);
        case 7: return pick_bits<MR, 7>(w.fmt.symmetric);
        default: return pick_bits<MR, 8>(w.fmt.symmetric);
    }
}

template <int MR>
void rows_f32(const qformat::QMatrix& w, const float* x, int64_t m0, int64_t ldx, int64_t n0, int64_t n1,
              const float* bias, float* y, int64_t ldy, float* buf) {
    constexpr int U = MR <= 2 ? 4 : 2;
    const int64_t K = w.cols;
    const float* xr[MR];
    for (int r = 0; r < MR; ++r) xr[r] = x + (m0 + r) * ldx;
    float out[MR];
    const bool codes = qformat::traits_of(w.fmt).storage == qformat::Storage::GroupedCodes;
    const DType elements = qformat::stored_dtype(w.fmt);
    const DotInt<MR> dot_int = codes ? pick_int<MR>(w) : nullptr;
    for (int64_t n = n0; n < n1; ++n) {
        const uint8_t* row = w.row_data(n);
        if (codes) {
            if (dot_int) {
                dot_int(w, n, xr, out);
            } else {  // groups not made of whole 8-chunks (odd row lengths): dequantize the row first
                qformat::detail::dequantize_row_range_avx2(w, n, 0, K, buf);
                dot_rows<MR, U>(LoadF32{buf}, xr, K, out);
            }
        } else if (elements == DType::F32) {
            dot_rows<MR, U>(LoadF32{reinterpret_cast<const float*>(row)}, xr, K, out);
        } else if (elements == DType::F16) {
            dot_rows<MR, U>(LoadF16{reinterpret_cast<const uint16_t*>(row)}, xr, K, out);
        } else {
            dot_rows<MR, U>(LoadBF16{reinterpret_cast<const uint16_t*>(row)}, xr, K, out);
        }
        for (int r = 0; r < MR; ++r) y[(m0 + r) * ldy + n] = out[r] + (bias ? bias[n] : 0.0f);
    }
}

template <int MR>
void rows_nt(const float* b, int64_t ldb, int64_t K, const float* x, int64_t m0, int64_t ldx, int64_t n0, int64_t n1,
             float* y, int64_t ldy) {
    constexpr int U = MR <= 2 ? 4 : 2;
    const float* xr[MR];
    for (int r = 0; r < MR; ++r) xr[r] = x + (m0 + r) * ldx;
    float out[MR];
    for (int64_t n = n0; n < n1; ++n) {
        dot_rows<MR, U>(LoadF32{b + n * ldb}, xr, K, out);
        for (int r = 0; r < MR; ++r) y[(m0 + r) * ldy + n] = out[r];
    }
}

}  // namespace

void gemv_nt_f32_avx2(const float* b, int64_t ldb, int64_t K, const float* x, int64_t M, int64_t ldx, int64_t n0,
                      int64_t n1, float* y, int64_t ldy) {
    for (int64_t m0 = 0; m0 < M; m0 += 4) {
        switch (std::min<int64_t>(4, M - m0)) {
            case 1: rows_nt<1>(b, ldb, K, x, m0, ldx, n0, n1, y, ldy); break;
            case 2: rows_nt<2>(b, ldb, K, x, m0, ldx, n0, n1, y, ldy); break;
            case 3: rows_nt<3>(b, ldb, K, x, m0, ldx, n0, n1, y, ldy); break;
            default: rows_nt<4>(b, ldb, K, x, m0, ldx, n0, n1, y, ldy); break;
        }
    }
}

void gemv_nn_f32_avx2(const float* a, int64_t lda, int64_t M, const float* b, int64_t ldb, int64_t K, int64_t n0,
                      int64_t n1, float* out, int64_t ldc, bool accumulate) {
    for (int64_t m = 0; m < M; ++m) {
        const float* ar = a + m * lda;
        float* o = out + m * ldc;
        int64_t n = n0;
        for (; n + 32 <= n1; n += 32) {
            __m256 acc[4];
            for (int i = 0; i < 4; ++i) acc[i] = accumulate ? _mm256_loadu_ps(o + n + 8 * i) : _mm256_setzero_ps();
            for (int64_t k = 0; k < K; ++k) {
                const __m256 av = _mm256_broadcast_ss(ar + k);
                const float* br = b + k * ldb + n;
                for (int i = 0; i < 4; ++i) acc[i] = _mm256_fmadd_ps(av, _mm256_loadu_ps(br + 8 * i), acc[i]);
            }
            for (int i = 0; i < 4; ++i) _mm256_storeu_ps(o + n + 8 * i, acc[i]);
        }
        for (; n + 8 <= n1; n += 8) {
            __m256 acc = accumulate ? _mm256_loadu_ps(o + n) : _mm256_setzero_ps();
            for (int64_t k = 0; k < K; ++k) acc = _mm256_fmadd_ps(_mm256_broadcast_ss(ar + k), _mm256_loadu_ps(b + k * ldb + n), acc);
            _mm256_storeu_ps(o + n, acc);
        }
        for (; n < n1; ++n) {
            float acc = accumulate ? o[n] : 0.0f;
            for (int64_t k = 0; k < K; ++k) acc += ar[k] * b[k * ldb + n];
            o[n] = acc;
        }
    }
}

void gemv_f32_avx2(const qformat::QMatrix& w, const float* x, int64_t M, int64_t ldx, int64_t n0, int64_t n1,
                   const float* bias, float* y, int64_t ldy) {
    std::vector<float> buf(w.fmt.is_int() ? static_cast<size_t>(w.cols) : 0);
    for (int64_t m0 = 0; m0 < M; m0 += 4) {
        switch (std::min<int64_t>(4, M - m0)) {
            case 1: rows_f32<1>(w, x, m0, ldx, n0, n1, bias, y, ldy, buf.data()); break;
            case 2: rows_f32<2>(w, x, m0, ldx, n0, n1, bias, y, ldy, buf.data()); break;
            case 3: rows_f32<3>(w, x, m0, ldx, n0, n1, bias, y, ldy, buf.data()); break;
            default: rows_f32<4>(w, x, m0, ldx, n0, n1, bias, y, ldy, buf.data()); break;
        }
    }
}

}  // namespace vlmq::kernels::detail
