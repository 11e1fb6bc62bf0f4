#include "rounding/awq.h"

#include <algorithm>
#include <cmath>

#include "core/compute.h"
#include "qformat/dequant.h"
#include "qformat/qmatrix.h"
#include "rounding/rtn.h"

namespace vlmq::rounding {

double awq_output_error(const float* w, int64_t rows, int64_t cols, const qformat::Format& fmt, const float* s,
                        const float* importance, const float* hessian) {
    std::vector<float> scaled(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) scaled[size_t(r * cols + j)] = w[r * cols + j] * (s ? s[j] : 1.0f);
    qformat::QMatrixBuffer q(fmt, rows, cols);
    Compute serial;
    quantize_rtn(serial, scaled.data(), DType::F32, q.mut());
    std::vector<float> deq(static_cast<size_t>(rows * cols));
    qformat::dequantize_rows(serial, q.view(), 0, rows, deq.data());
    double loss = 0;
    std::vector<double> d(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < cols; ++j)
            d[size_t(j)] = double(deq[size_t(r * cols + j)]) / (s ? double(s[j]) : 1.0) - double(w[r * cols + j]);
        if (hessian) {
            for (int64_t i = 0; i < cols; ++i) {
                if (d[size_t(i)] == 0.0) continue;
                double acc = 0;
                const float* hr = hessian + i * cols;
                for (int64_t j = 0; j < cols; ++j) acc += double(hr[j]) * d[size_t(j)];
                loss += d[size_t(i)] * acc;
            }
        } else {
            for (int64_t j = 0; j < cols; ++j) loss += double(importance[j]) * d[size_t(j)] * d[size_t(j)];
        }
    }
    return loss;
}

AwqResult awq_search(const Compute& c, const float* w, int64_t rows, int64_t cols, const qformat::Format& fmt,
                     const float* mean_abs, const float* importance, const float* hessian, int grid) {
    // The search looks at a strided subset of at most 512 rows; the chosen s is applied to all rows.
    const int64_t step = std::max<int64_t>(1, rows / 512);
    const int64_t n = (rows + step - 1) / step;
    std::vector<float> sub(static_cast<size_t>(n * cols));
    for (int64_t i = 0; i < n; ++i) std::copy(w + i * step * cols, w + i * step * cols + cols, sub.begin() + i * cols);

    AwqResult best;
    best.scales.assign(size_t(cols), 1.0f);
    best.rtn_loss = best.loss = awq_output_error(sub.data(), n, cols, fmt, nullptr, importance, hessian);
    std::vector<double> losses(static_cast<size_t>(grid));
    std::vector<std::vector<float>> cand(static_cast<size_t>(grid));
    parallel_for(c.pool, grid, 1, [&](int64_t g0, int64_t g1) {
        for (int64_t g = g0; g < g1; ++g) {
            const double alpha = double(g + 1) / double(grid);
            std::vector<float>& s = cand[size_t(g)];
            s.resize(size_t(cols));
            double lo = INFINITY, hi = 0;
            for (int64_t j = 0; j < cols; ++j) {
                s[size_t(j)] = float(std::pow(std::max(double(mean_abs[j]), 1e-4), alpha));
                lo = std::min(lo, double(s[size_t(j)]));
                hi = std::max(hi, double(s[size_t(j)]));
            }
            const double norm = std::sqrt(lo * hi);
            for (auto& v : s) v = float(double(v) / norm);
            losses[size_t(g)] = awq_output_error(sub.data(), n, cols, fmt, s.data(), importance, hessian);
        }
    });
    for (int g = 0; g < grid; ++g)
        if (losses[size_t(g)] < best.loss) {
            best.loss = losses[size_t(g)];
            best.alpha = double(g + 1) / double(grid);
            best.scales = cand[size_t(g)];
        }
    return best;
}

}  // namespace vlmq::rounding
