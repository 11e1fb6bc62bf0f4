// Scalar definition of the int8-activation GEMV (the twin of gemv_q8_avx2.cpp).
//
// With x_k ~ d_b q_k (block b of 32) and the stored weight w_k = s_g (u_k - 2^(b-1)) or s_g u_k + m_g:
//   int4: sum_k x_k w_k = sum_b s_g d_b <u, q>_b  + c_g * sum_{b in g} d_b sum(q)_b,
//         c_g = -8 s_g (symmetric) or m_g (affine);
//   int8: the codes are used as signed w8 = u - 128:  sum_b s_g d_b <w8, q>_b + c_g * (same sums),
//         c_g = 0 (symmetric) or 128 s_g + m_g (affine).
#include <cstring>

#include "core/half.h"
#include "kernels/gemv.h"

namespace vlmq::kernels::detail {

namespace {

float fp16_at(const uint16_t* p, int64_t i) {
    uint16_t h;
    std::memcpy(&h, p + i, 2);
    return f16_to_f32(h);
}

}  // namespace

bool q8_gemv_supported(const qformat::QMatrix& w) {
    if (!w.fmt.is_int() || (w.fmt.bits != 4 && w.fmt.bits != 8) || w.cols % 32 != 0) return false;
    return w.layout().group % 32 == 0;
}

void gemv_q8_ref(const qformat::QMatrix& w, const Q8Acts& a, int64_t n0, int64_t n1, const float* bias, float* y,
                 int64_t ldy) {
    const qformat::Layout l = w.layout();
    const int64_t K = w.cols, nb = K / 32, ng = l.groups_per_row, per = l.group / 32;
    const int bits = w.fmt.bits;
    for (int64_t n = n0; n < n1; ++n) {
        const uint8_t* row = w.row_data(n);
        for (int64_t m = 0; m < a.M; ++m) {
            const int8_t* q = a.q.data() + m * K;
            const float* d = a.d.data() + m * nb;
            float acc = 0.0f, corr = 0.0f;
            for (int64_t g = 0; g < ng; ++g) {
                const float s = fp16_at(w.scales, n * ng + g);
                const float mb = w.fmt.symmetric ? 0.0f : fp16_at(w.biases, n * ng + g);
                for (int64_t b = g * per; b < (g + 1) * per; ++b) {
                    int32_t dot = 0;
                    for (int64_t k = 32 * b; k < 32 * b + 32; ++k) {
                        const int32_t u = bits == 4 ? (row[k / 2] >> (4 * (k % 2))) & 15 : row[k] - 128;
                        dot += u * q[q8_position(k, K, a.nibble_order)];
                    }
                    acc += (s * d[b]) * float(dot);
                }
                const float c = bits == 4 ? (w.fmt.symmetric ? -8.0f * s : mb) : (w.fmt.symmetric ? 0.0f : 128.0f * s + mb);
                corr += c * a.gsum[size_t(m * ng + g)];
            }
            y[m * ldy + n] = acc + corr + (bias ? bias[n] : 0.0f);
        }
    }
}

}  // namespace vlmq::kernels::detail
