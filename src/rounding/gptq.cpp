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

GptqFactor gptq_factor(const float* hessian, int64_t K, const GptqOptions& options) {
    GptqFactor f;
    f.k = K;
    f.act_order = options.act_order;
    std::vector<double> h(static_cast<size_t>(K * K));
    for (int64_t i = 0; i < K * K; ++i) h[size_t(i)] = hessian[i];
    // Columns never activated carry no information: pin them so the factorisation exists.
    f.dead.assign(size_t(K), false);
    for (int64_t i = 0; i < K; ++i)
        if (h[size_t(i * K + i)] == 0.0) {
            f.dead[size_t(i)] = true;
            h[size_t(i * K + i)] = 1.0;
        }
    // Group scales are chosen by the importance-weighted search with importance = diag(H) (+ a floor).
    f.diag.resize(static_cast<size_t>(K));
    double mean_diag = 0;
    for (int64_t i = 0; i < K; ++i) mean_diag += h[size_t(i * K + i)];
    mean_diag /= double(K);
    for (int64_t i = 0; i < K; ++i) f.diag[size_t(i)] = float(h[size_t(i * K + i)] + 1e-3 * mean_diag) + 1e-12f;
    f.perm.resize(static_cast<size_t>(K));
    std::iota(f.perm.begin(), f.perm.end(), 0);
    if (options.act_order)
        std::stable_sort(f.perm.begin(), f.perm.end(),
                         [&](int64_t a, int64_t b) { return h[size_t(a * K + a)] > h[size_t(b * K + b)]; });
    auto permuted = [&] {
        std::vector<double> hp(static_cast<size_t>(K * K));
        for (int64_t i = 0; i < K; ++i)
            for (int64_t j = 0; j < K; ++j) hp[size_t(i * K + j)] = h[size_t(f.perm[size_t(i)] * K + f.perm[size_t(j)])];
        return hp;
    };
    f.u = permuted();
    double damp = options.damp;
    while (!gptq_inverse_factor(f.u, K, damp)) {
        if (damp > 1.0) fail("GPTQ: the Hessian is not positive definite even with damping {}", damp);
        f.u = permuted();
        damp *= 10.0;
    }
    // pos[col] = position of original column in processing order
    f.pos.resize(static_cast<size_t>(K));
    for (int64_t i = 0; i < K; ++i) f.pos[size_t(f.perm[size_t(i)])] = i;
    return f;
}

void gptq_row(const GptqFactor& f, const qformat::Layout& l, int bits, bool sym, const float* orig, float* out,
              GroupScale* params, bool fixed_params) {
    const int64_t K = f.k;
    std::vector<double> w(static_cast<size_t>(K));  // working row in processing order
    std::vector<bool> have(static_cast<size_t>(l.groups_per_row), fixed_params);
    std::vector<float> gbuf(static_cast<size_t>(l.group));
    uint8_t code;
    for (int64_t i = 0; i < K; ++i) w[size_t(i)] = f.dead[size_t(f.perm[size_t(i)])] ? 0.0 : orig[f.perm[size_t(i)]];
    if (f.act_order && !fixed_params)  // static groups from the original weights
        for (int64_t g = 0; g < l.groups_per_row; ++g) {
            params[g] = weighted_group_params(orig + g * l.group, f.diag.data() + g * l.group, l.group, bits, sym);
            have[size_t(g)] = true;
        }
    for (int64_t i = 0; i < K; ++i) {
        const int64_t col = f.perm[size_t(i)];
        const int64_t g = col / l.group;
        if (!have[size_t(g)]) {  // group scale from the current (error-updated) weights
            for (int64_t j = 0; j < l.group; ++j) gbuf[size_t(j)] = float(w[size_t(f.pos[size_t(g * l.group + j)])]);
            params[g] = weighted_group_params(gbuf.data(), f.diag.data() + g * l.group, l.group, bits, sym);
            have[size_t(g)] = true;
        }
        const float wi = float(w[size_t(i)]);
        quantize_group(&wi, 1, bits, sym, params[g], &code);
        const float s = f16_to_f32(params[g].scale), m = f16_to_f32(params[g].bias);
        const float q = sym ? s * (float(code) - float(1 << (bits - 1))) : std::fma(s, float(code), m);
        out[col] = wi;  // the value that was quantized (re-quantized by store_row with the same params)
        const double err = (double(wi) - double(q)) / f.u[size_t(i * K + i)];
        const double* urow = f.u.data() + i * K;
        for (int64_t j = i + 1; j < K; ++j) w[size_t(j)] -= err * urow[j];
    }
}

void quantize_gptq(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                   const float* hessian, const GptqOptions& options) {
    const int64_t K = dst.cols;
    const qformat::Layout l = dst.layout();
    const GptqFactor f = gptq_factor(hessian, K, options);
    const size_t esize = dtype_size(src_dtype);
    Compute serial = c;
    serial.pool = nullptr;
    parallel_for(c.pool, dst.rows, 1, [&](int64_t r0, int64_t r1) {
        std::vector<float> orig(static_cast<size_t>(K)), out(static_cast<size_t>(K));
        std::vector<GroupScale> params(static_cast<size_t>(l.groups_per_row));
        for (int64_t r = r0; r < r1; ++r) {
            qformat::convert_to_f32(serial, static_cast<const std::byte*>(src) + size_t(r * K) * esize, src_dtype, K,
                                    orig.data());
            gptq_row(f, l, dst.fmt.bits, dst.fmt.symmetric, orig.data(), out.data(), params.data(), false);
            store_row(dst, r, out.data(), params.data());
        }
    });
}

}  // namespace vlmq::rounding
