#include "rounding/gptq.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "qformat/dequant.h"
#include "rounding/rtn.h"
#include "rounding/weighted.h"
#include "core/half.h"

namespace vlmq::rounding {

namespace {

// In-place lower Cholesky A = L L^T (row-major n x n); false if not positive definite.
bool cholesky_lower(std::vector<double>& a, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
        double d = a[size_t(j * n + j)];
        for (int64_t k = 0; k < j; ++k) d -= a[size_t(j * n + k)] * a[size_t(j * n + k)];
        if (!(d > 0.0)) return false;
        const double ljj = std::sqrt(d);
        a[size_t(j * n + j)] = ljj;
        for (int64_t i = j + 1; i < n; ++i) {
            double s = a[size_t(i * n + j)];
            for (int64_t k = 0; k < j; ++k) s -= a[size_t(i * n + k)] * a[size_t(j * n + k)];
            a[size_t(i * n + j)] = s / ljj;
        }
        for (int64_t k = j + 1; k < n; ++k) a[size_t(j * n + k)] = 0.0;
    }
    return true;
}

}  // namespace

bool gptq_inverse_factor(std::vector<double>& h, int64_t n, double damp) {
    double mean_diag = 0;
    for (int64_t i = 0; i < n; ++i) mean_diag += h[size_t(i * n + i)];
    mean_diag /= double(n);
    if (!(mean_diag > 0)) mean_diag = 1.0;
    for (int64_t i = 0; i < n; ++i) h[size_t(i * n + i)] += damp * mean_diag;
    // H = L L^T  ->  H^-1 = L^-T L^-1; then the upper factor U of H^-1 (H^-1 = U^T U).
    if (!cholesky_lower(h, n)) return false;
    // Linv: invert lower-triangular L in place.
    std::vector<double> inv(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i) {
        inv[size_t(i * n + i)] = 1.0 / h[size_t(i * n + i)];
        for (int64_t j = 0; j < i; ++j) {
            double s = 0;
            for (int64_t k = j; k < i; ++k) s += h[size_t(i * n + k)] * inv[size_t(k * n + j)];
            inv[size_t(i * n + j)] = -s / h[size_t(i * n + i)];
        }
    }
    // Hinv = Linv^T Linv
    std::vector<double> hinv(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) {
            double s = 0;
            for (int64_t k = i; k < n; ++k) s += inv[size_t(k * n + i)] * inv[size_t(k * n + j)];
            hinv[size_t(i * n + j)] = hinv[size_t(j * n + i)] = s;
        }
    if (!cholesky_lower(hinv, n)) return false;
    // U = L'^T
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) h[size_t(i * n + j)] = j >= i ? hinv[size_t(j * n + i)] : 0.0;
    return true;
}

void quantize_gptq(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                   const float* hessian, const GptqOptions& options) {
    const int64_t K = dst.cols, N = dst.rows;
    const qformat::Layout l = dst.layout();
    const int bits = dst.fmt.bits;
    const bool sym = dst.fmt.symmetric;

    std::vector<double> h(static_cast<size_t>(K * K));
    for (int64_t i = 0; i < K * K; ++i) h[size_t(i)] = hessian[i];
    // Columns never activated carry no information: pin them so the factorisation exists.
    std::vector<bool> dead(size_t(K), false);
    for (int64_t i = 0; i < K; ++i)
        if (h[size_t(i * K + i)] == 0.0) {
            dead[size_t(i)] = true;
            h[size_t(i * K + i)] = 1.0;
        }
    // Group scales are chosen by the importance-weighted search with importance = diag(H) (+ a floor).
    std::vector<float> diag(static_cast<size_t>(K));
    double mean_diag = 0;
    for (int64_t i = 0; i < K; ++i) mean_diag += h[size_t(i * K + i)];
    mean_diag /= double(K);
    for (int64_t i = 0; i < K; ++i) diag[size_t(i)] = float(h[size_t(i * K + i)] + 1e-3 * mean_diag) + 1e-12f;
    std::vector<int64_t> perm(static_cast<size_t>(K));
    std::iota(perm.begin(), perm.end(), 0);
    if (options.act_order)
        std::stable_sort(perm.begin(), perm.end(),
                         [&](int64_t a, int64_t b) { return h[size_t(a * K + a)] > h[size_t(b * K + b)]; });
    std::vector<double> hp(static_cast<size_t>(K * K));
    for (int64_t i = 0; i < K; ++i)
        for (int64_t j = 0; j < K; ++j) hp[size_t(i * K + j)] = h[size_t(perm[size_t(i)] * K + perm[size_t(j)])];
    double damp = options.damp;
    while (!gptq_inverse_factor(hp, K, damp)) {
        if (damp > 1.0) fail("GPTQ: the Hessian is not positive definite even with damping {}", damp);
        for (int64_t i = 0; i < K; ++i)
            for (int64_t j = 0; j < K; ++j) hp[size_t(i * K + j)] = h[size_t(perm[size_t(i)] * K + perm[size_t(j)])];
        damp *= 10.0;
    }
    const std::vector<double>& U = hp;
    // pos[col] = position of original column in processing order
    std::vector<int64_t> pos(static_cast<size_t>(K));
    for (int64_t i = 0; i < K; ++i) pos[size_t(perm[size_t(i)])] = i;

    const size_t esize = dtype_size(src_dtype);
    Compute serial = c;
    serial.pool = nullptr;
    parallel_for(c.pool, N, 1, [&](int64_t r0, int64_t r1) {
        std::vector<float> orig(static_cast<size_t>(K)), out(static_cast<size_t>(K));
        std::vector<double> w(static_cast<size_t>(K));  // working row in processing order
        std::vector<GroupScale> params(static_cast<size_t>(l.groups_per_row));
        std::vector<bool> have(static_cast<size_t>(l.groups_per_row));
        std::vector<float> gbuf(static_cast<size_t>(l.group));
        uint8_t code;
        for (int64_t r = r0; r < r1; ++r) {
            qformat::convert_to_f32(serial, static_cast<const std::byte*>(src) + size_t(r * K) * esize, src_dtype, K,
                                    orig.data());
            for (int64_t i = 0; i < K; ++i) w[size_t(i)] = dead[size_t(perm[size_t(i)])] ? 0.0 : orig[size_t(perm[size_t(i)])];
            std::fill(have.begin(), have.end(), false);
            if (options.act_order)  // static groups from the original weights
                for (int64_t g = 0; g < l.groups_per_row; ++g) {
                    params[size_t(g)] = weighted_group_params(orig.data() + g * l.group, diag.data() + g * l.group,
                                                              l.group, bits, sym);
                    have[size_t(g)] = true;
                }
            for (int64_t i = 0; i < K; ++i) {
                const int64_t col = perm[size_t(i)];
                const int64_t g = col / l.group;
                if (!have[size_t(g)]) {  // group scale from the current (error-updated) weights
                    for (int64_t j = 0; j < l.group; ++j) gbuf[size_t(j)] = float(w[size_t(pos[size_t(g * l.group + j)])]);
                    params[size_t(g)] = weighted_group_params(gbuf.data(), diag.data() + g * l.group, l.group, bits, sym);
                    have[size_t(g)] = true;
                }
                const float wi = float(w[size_t(i)]);
                quantize_group(&wi, 1, bits, sym, params[size_t(g)], &code);
                const float s = f16_to_f32(params[size_t(g)].scale), m = f16_to_f32(params[size_t(g)].bias);
                const float q = sym ? s * (float(code) - float(1 << (bits - 1))) : std::fma(s, float(code), m);
                out[size_t(col)] = wi;  // the value that was quantized (re-quantized below with the same params)
                const double err = (double(wi) - double(q)) / U[size_t(i * K + i)];
                const double* urow = U.data() + i * K;
                for (int64_t j = i + 1; j < K; ++j) w[size_t(j)] -= err * urow[j];
            }
            store_row(dst, r, out.data(), params.data());
        }
    });
}

}  // namespace vlmq::rounding
