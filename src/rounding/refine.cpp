#include "rounding/refine.h"

#include <cmath>
#include <vector>

#include "core/half.h"
#include "qformat/dequant.h"
#include "rounding/gptq.h"
#include "rounding/weighted.h"

namespace vlmq::rounding {

namespace {

// In-place Cholesky solve of the symmetric positive definite system a x = b (n x n); false when singular.
bool solve_spd(std::vector<double>& a, std::vector<double>& b, int64_t n) {
    if (!cholesky_lower(a, n)) return false;
    for (int64_t i = 0; i < n; ++i) {  // L y = b
        double s = b[size_t(i)];
        for (int64_t k = 0; k < i; ++k) s -= a[size_t(i * n + k)] * b[size_t(k)];
        b[size_t(i)] = s / a[size_t(i * n + i)];
    }
    for (int64_t i = n - 1; i >= 0; --i) {  // L^T x = y
        double s = b[size_t(i)];
        for (int64_t k = i + 1; k < n; ++k) s -= a[size_t(k * n + i)] * b[size_t(k)];
        b[size_t(i)] = s / a[size_t(i * n + i)];
    }
    return true;
}

// One row's problem: minimise e(theta) = (w - A theta)^T H (w - A theta), where theta holds the group scales
// (then, affine, the biases) and A the codes: w_hat_j = s_g(j) q_j (+ m_g(j)).
class RowFit {
public:
    RowFit(const std::vector<float>& h, int64_t k, const qformat::Layout& l, int bits, bool sym, const float* w)
        : h_(h), k_(k), l_(l), bits_(bits), sym_(sym), p_(sym ? l.groups_per_row : 2 * l.groups_per_row) {
        hw_.assign(size_t(k), 0.0);
        for (int64_t a = 0; a < k; ++a) {
            double s = 0;
            for (int64_t b = 0; b < k; ++b) s += double(h[size_t(a * k + b)]) * w[b];
            hw_[size_t(a)] = s;
            whw_ += double(w[a]) * s;
        }
    }

    // The normal equations M theta = r for these codes; afterwards error() evaluates any theta in O(P^2).
    void set_codes(const uint8_t* codes) {
        const int64_t G = l_.groups_per_row, k = k_;
        const double half = double(1 << (bits_ - 1));
        std::vector<double> q(static_cast<size_t>(k));
        for (int64_t j = 0; j < k; ++j) q[size_t(j)] = sym_ ? double(codes[j]) - half : double(codes[j]);
        // HA [k, P]
        std::vector<double> ha(static_cast<size_t>(k * p_), 0.0);
        for (int64_t a = 0; a < k; ++a) {
            const float* hr = h_.data() + a * k;
            double* out = ha.data() + a * p_;
            for (int64_t g = 0; g < G; ++g) {
                double sq = 0, s1 = 0;
                for (int64_t b = g * l_.group; b < (g + 1) * l_.group; ++b) {
                    sq += double(hr[b]) * q[size_t(b)];
                    s1 += double(hr[b]);
                }
                out[g] = sq;
                if (!sym_) out[G + g] = s1;
            }
        }
        m_.assign(size_t(p_ * p_), 0.0);
        r_.assign(size_t(p_), 0.0);
        for (int64_t a = 0; a < k; ++a) {
            const int64_t g = a / l_.group;
            const double* row = ha.data() + a * p_;
            for (int64_t pp = 0; pp < p_; ++pp) m_[size_t(g * p_ + pp)] += q[size_t(a)] * row[pp];
            r_[size_t(g)] += q[size_t(a)] * hw_[size_t(a)];
            if (!sym_) {
                for (int64_t pp = 0; pp < p_; ++pp) m_[size_t((G + g) * p_ + pp)] += row[pp];
                r_[size_t(G + g)] += hw_[size_t(a)];
            }
        }
    }

    double error(const std::vector<double>& theta) const {
        double quad = 0, lin = 0;
        for (int64_t i = 0; i < p_; ++i) {
            double s = 0;
            for (int64_t j = 0; j < p_; ++j) s += m_[size_t(i * p_ + j)] * theta[size_t(j)];
            quad += theta[size_t(i)] * s;
            lin += theta[size_t(i)] * r_[size_t(i)];
        }
        return whw_ - 2 * lin + quad;
    }

    // Least-squares theta for the current codes, rounded to the stored fp16 values; false when no usable solution.
    bool solve(std::vector<double>& theta) const {
        std::vector<double> m = m_, r = r_;
        double tr = 0;
        for (int64_t i = 0; i < p_; ++i) tr += m[size_t(i * p_ + i)];
        for (int64_t i = 0; i < p_; ++i) m[size_t(i * p_ + i)] += 1e-9 * tr / double(p_) + 1e-30;
        if (!solve_spd(m, r, p_)) return false;
        for (int64_t i = 0; i < p_; ++i) {
            const uint16_t f = f32_to_f16(float(r[size_t(i)]));
            if ((f & 0x7c00u) == 0x7c00u) return false;
            theta[size_t(i)] = double(f16_to_f32(f));
        }
        return true;
    }

    int64_t params() const { return p_; }

private:
    const std::vector<float>& h_;
    int64_t k_;
    qformat::Layout l_;
    int bits_;
    bool sym_;
    int64_t p_;
    std::vector<double> hw_, m_, r_;
    double whw_ = 0;
};

std::vector<double> theta_of(const std::vector<GroupScale>& params, bool sym) {
    const size_t G = params.size();
    std::vector<double> t(sym ? G : 2 * G);
    for (size_t g = 0; g < G; ++g) {
        t[g] = f16_to_f32(params[g].scale);
        if (!sym) t[G + g] = f16_to_f32(params[g].bias);
    }
    return t;
}

void params_of(const std::vector<double>& t, bool sym, std::vector<GroupScale>& params) {
    const size_t G = params.size();
    for (size_t g = 0; g < G; ++g) {
        params[g].scale = f32_to_f16(float(t[g]));
        params[g].bias = sym ? 0 : f32_to_f16(float(t[G + g]));
    }
}

}  // namespace

void quantize_refined(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                      const float* hessian, const RefineOptions& options) {
    const int64_t K = dst.cols;
    const qformat::Layout l = dst.layout();
    const int bits = dst.fmt.bits;
    const bool sym = dst.fmt.symmetric;
    const GptqFactor f = gptq_factor(hessian, K, {.damp = options.damp, .act_order = false});
    // The objective: H as measured, plus GPTQ's damping on the diagonal.
    std::vector<float> h(hessian, hessian + K * K);
    double mean_diag = 0;
    for (int64_t i = 0; i < K; ++i) mean_diag += h[size_t(i * K + i)];
    mean_diag = mean_diag > 0 ? mean_diag / double(K) : 1.0;
    for (int64_t i = 0; i < K; ++i) h[size_t(i * K + i)] += float(options.damp * mean_diag);

    const size_t esize = dtype_size(src_dtype);
    Compute serial = c;
    serial.pool = nullptr;
    parallel_for(c.pool, dst.rows, 1, [&](int64_t r0, int64_t r1) {
        std::vector<float> orig(static_cast<size_t>(K)), out(static_cast<size_t>(K));
        std::vector<uint8_t> codes(static_cast<size_t>(K)), best_codes;
        std::vector<GroupScale> params(static_cast<size_t>(l.groups_per_row));
        auto codes_of = [&](const std::vector<GroupScale>& p) {
            for (int64_t g = 0; g < l.groups_per_row; ++g)
                quantize_group(out.data() + g * l.group, l.group, bits, sym, p[size_t(g)], codes.data() + g * l.group);
        };
        for (int64_t r = r0; r < r1; ++r) {
            qformat::convert_to_f32(serial, static_cast<const std::byte*>(src) + size_t(r * K) * esize, src_dtype, K,
                                    orig.data());
            gptq_row(f, l, bits, sym, orig.data(), out.data(), params.data(), false);
            codes_of(params);
            best_codes = codes;
            RowFit fit(h, K, l, bits, sym, orig.data());
            fit.set_codes(best_codes.data());
            std::vector<double> theta = theta_of(params, sym);
            double best = fit.error(theta);
            for (int it = 0; it < options.iterations; ++it) {
                if (!fit.solve(theta)) break;
                const double e = fit.error(theta);
                if (!(e < best)) break;
                best = e;
                params_of(theta, sym, params);
                // New codes for these parameters, kept only if they lower the error further.
                gptq_row(f, l, bits, sym, orig.data(), out.data(), params.data(), true);
                codes_of(params);
                fit.set_codes(codes.data());
                const double e2 = fit.error(theta);
                if (!(e2 < best)) break;
                best = e2;
                best_codes = codes;
            }
            store_codes(dst, r, best_codes.data(), params.data());
        }
    });
}

}  // namespace vlmq::rounding
