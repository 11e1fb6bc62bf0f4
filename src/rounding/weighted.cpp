#include "rounding/weighted.h"

#include <cmath>
#include <vector>

#include "core/half.h"
#include "qformat/codes.h"
#include "qformat/dequant.h"

namespace vlmq::rounding {

namespace {

float fp16_value(float v, bool* ok) {
    const uint16_t h = f32_to_f16(v);
    *ok = (h & 0x7c00u) != 0x7c00u;
    return f16_to_f32(h);
}

float decode(uint8_t u, int bits, bool symmetric, float s, float m) {
    return symmetric ? s * (float(u) - float(1 << (bits - 1))) : std::fma(s, float(u), m);
}

}  // namespace

double group_error(const float* w, const float* imp, int64_t n, int bits, bool symmetric, GroupScale p) {
    std::vector<uint8_t> codes(static_cast<size_t>(n));
    quantize_group(w, n, bits, symmetric, p, codes.data());
    const float s = f16_to_f32(p.scale), m = f16_to_f32(p.bias);
    double e = 0;
    for (int64_t j = 0; j < n; ++j) {
        const double d = double(w[j]) - double(decode(codes[size_t(j)], bits, symmetric, s, m));
        e += double(imp[j]) * d * d;
    }
    return e;
}

GroupScale weighted_group_params(const float* w, const float* imp, int64_t n, int bits, bool symmetric) {
    const GroupScale rtn = rtn_group_params(w, n, bits, symmetric);
    GroupScale best = rtn;
    double best_err = group_error(w, imp, n, bits, symmetric, rtn);
    if (rtn.scale == 0) return best;
    std::vector<uint8_t> codes(static_cast<size_t>(n));
    auto consider = [&](GroupScale p) {
        const double e = group_error(w, imp, n, bits, symmetric, p);
        if (e < best_err) {
            best_err = e;
            best = p;
        }
    };
    const int qmax = (1 << bits) - 1;
    if (symmetric) {
        // Candidate scales m / (-2^(b-1) + t/10), each refined by the weighted least-squares scale for its codes.
        float m = 0;
        for (int64_t j = 0; j < n; ++j)
            if (std::fabs(w[j]) > std::fabs(m)) m = w[j];
        const float half = float(1 << (bits - 1));
        for (int t = -10; t <= 10; ++t) {
            bool ok;
            const float s = fp16_value(m / (-half + 0.1f * float(t)), &ok);
            if (!ok || s == 0.0f) continue;
            const GroupScale cand{f32_to_f16(s), 0};
            consider(cand);
            quantize_group(w, n, bits, true, cand, codes.data());
            double num = 0, den = 0;
            for (int64_t j = 0; j < n; ++j) {
                const double q = double(codes[size_t(j)]) - half;
                num += double(imp[j]) * double(w[j]) * q;
                den += double(imp[j]) * q * q;
            }
            if (den > 0) {
                const float refit = fp16_value(float(num / den), &ok);
                if (ok && refit != 0.0f) consider({f32_to_f16(refit), 0});
            }
        }
        return best;
    }
    float mn = w[0], mx = w[0];
    for (int64_t j = 1; j < n; ++j) {
        mn = std::fmin(mn, w[j]);
        mx = std::fmax(mx, w[j]);
    }
    const float range = mx - mn;
    for (int a = 0; a <= 4; ++a)
        for (int b = 0; b <= 4; ++b) {
            const float lo = mn + 0.05f * float(a) * range, hi = mx - 0.05f * float(b) * range;
            if (hi <= lo) continue;
            bool ok_s, ok_m;
            const float s = fp16_value((hi - lo) / float(qmax), &ok_s), mm = fp16_value(lo, &ok_m);
            if (!ok_s || !ok_m || s == 0.0f) continue;
            const GroupScale cand{f32_to_f16(s), f32_to_f16(mm)};
            consider(cand);
            // Weighted least squares for (s, m) given the codes.
            quantize_group(w, n, bits, false, cand, codes.data());
            double sqq = 0, sq = 0, s1 = 0, swq = 0, sw = 0;
            for (int64_t j = 0; j < n; ++j) {
                const double q = codes[size_t(j)], i = imp[j];
                sqq += i * q * q;
                sq += i * q;
                s1 += i;
                swq += i * w[j] * q;
                sw += i * w[j];
            }
            const double det = sqq * s1 - sq * sq;
            if (std::fabs(det) > 1e-12 * std::fabs(sqq * s1)) {
                const float rs = fp16_value(float((swq * s1 - sq * sw) / det), &ok_s);
                const float rm = fp16_value(float((sqq * sw - sq * swq) / det), &ok_m);
                if (ok_s && ok_m && rs > 0.0f) consider({f32_to_f16(rs), f32_to_f16(rm)});
            }
        }
    return best;
}

void store_codes(const qformat::QMatrixMut& dst, int64_t r, const uint8_t* codes, const GroupScale* params) {
    const qformat::Layout l = dst.layout();
    for (int64_t g = 0; g < l.groups_per_row; ++g) {
        dst.scales[r * l.groups_per_row + g] = params[g].scale;
        if (!dst.fmt.symmetric) dst.biases[r * l.groups_per_row + g] = params[g].bias;
    }
    qformat::pack_codes(codes, dst.cols, dst.fmt.bits, static_cast<uint8_t*>(dst.data) + r * l.row_bytes);
}

void store_row(const qformat::QMatrixMut& dst, int64_t r, const float* w, const GroupScale* params) {
    const qformat::Layout l = dst.layout();
    std::vector<uint8_t> codes(static_cast<size_t>(dst.cols));
    for (int64_t g = 0; g < l.groups_per_row; ++g)
        quantize_group(w + g * l.group, l.group, dst.fmt.bits, dst.fmt.symmetric, params[g], codes.data() + g * l.group);
    store_codes(dst, r, codes.data(), params);
}

void quantize_weighted(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                       const float* importance) {
    const qformat::Layout l = dst.layout();
    // A floor keeps columns never seen in calibration from being ignored entirely.
    double mean_imp = 0;
    for (int64_t j = 0; j < dst.cols; ++j) mean_imp += importance[j];
    mean_imp /= double(std::max<int64_t>(1, dst.cols));
    std::vector<float> imp(static_cast<size_t>(dst.cols));
    for (int64_t j = 0; j < dst.cols; ++j) imp[size_t(j)] = importance[j] + float(1e-3 * mean_imp) + 1e-12f;
    const size_t esize = dtype_size(src_dtype);
    Compute serial = c;
    serial.pool = nullptr;
    parallel_for(c.pool, dst.rows, 4, [&](int64_t r0, int64_t r1) {
        std::vector<float> w(static_cast<size_t>(dst.cols));
        std::vector<GroupScale> params(static_cast<size_t>(l.groups_per_row));
        for (int64_t r = r0; r < r1; ++r) {
            qformat::convert_to_f32(serial, static_cast<const std::byte*>(src) + size_t(r * dst.cols) * esize, src_dtype,
                                    dst.cols, w.data());
            for (int64_t g = 0; g < l.groups_per_row; ++g)
                params[size_t(g)] = weighted_group_params(w.data() + g * l.group, imp.data() + g * l.group, l.group,
                                                          dst.fmt.bits, dst.fmt.symmetric);
            store_row(dst, r, w.data(), params.data());
        }
    });
}

}  // namespace vlmq::rounding
