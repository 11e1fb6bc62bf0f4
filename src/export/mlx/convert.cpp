#include "export/mlx/convert.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/error.h"
#include "core/half.h"
#include "export/mlx/affine.h"
#include "core/cpu_features.h"
#include "qformat/dequant.h"

namespace vlmq::exporters::mlx {

namespace {

int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)); }


template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
    return std::as_bytes(std::span<const T>(v));
}

// Runs fn(r0, r1) -> local max over row chunks and returns the overall max.
template <class Fn>
double parallel_max(const Compute& c, int64_t rows, int64_t cols, Fn&& fn) {
    std::mutex mu;
    double best = 0.0;
    parallel_for(c.pool, rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
        const double m = fn(r0, r1);
        std::lock_guard lock(mu);
        best = std::max(best, m);
    });
    return best;
}

double write_float(const Compute& c, const qformat::QMatrix& m, const ExportPlanEntry& e, DType dt,
                   io::SafetensorsWriter& out) {
    const bool conv = e.target->kind == ModuleKind::Conv2d && e.target->param == "weight";
    const int64_t cols = m.cols;
    // Conv rows are [I, kh, kw] in the source and [kh, kw, I] in MLX.
    const int64_t in_ch = conv ? e.source.shape[1] : 1, khw = conv ? e.source.shape[2] * e.source.shape[3] : cols;
    std::vector<uint16_t> data(size_t(m.rows * cols));
    const double diff = parallel_max(c, m.rows, cols, [&](int64_t r0, int64_t r1) {
        std::vector<float> row(static_cast<size_t>(cols));
        double worst = 0.0;
        for (int64_t r = r0; r < r1; ++r) {
            qformat::dequantize_row_range(c, m, r, 0, cols, row.data());
            uint16_t* dst = data.data() + r * cols;
            for (int64_t j = 0; j < cols; ++j) {
                const int64_t k = conv ? (j % khw) * in_ch + j / khw : j;  // source index j -> MLX index k
                const float v = row[size_t(j)];
                const uint16_t h = dt == DType::BF16 ? f32_to_bf16(v) : f32_to_f16(v);
                dst[k] = h;
                const float back = dt == DType::BF16 ? bf16_to_f32(h) : f16_to_f32(h);
                worst = std::max(worst, double(std::fabs(back - v)));
            }
        }
        return worst;
    });
    out.write(e.target->name, bytes_of(data));
    return diff;
}

double max_diff(const Compute& c, const qformat::QMatrix& m, const AffineMatrix& a) {
    return parallel_max(c, m.rows, m.cols, [&](int64_t r0, int64_t r1) {
        std::vector<float> want(size_t(m.cols)), got(size_t(m.cols));
        double worst = 0.0;
        for (int64_t r = r0; r < r1; ++r) {
            qformat::dequantize_row_range(c, m, r, 0, m.cols, want.data());
            affine_dequantize_row(a, r, got.data());
            for (int64_t j = 0; j < m.cols; ++j)
                worst = std::max(worst, double(std::fabs(got[size_t(j)] - want[size_t(j)])));
        }
        return worst;
    });
}

AffineMatrix requantize(const Compute& c, const qformat::QMatrix& m, const ExportPlanEntry& e) {
    std::vector<float> w(size_t(m.rows * m.cols));
    qformat::dequantize_rows(c, m, 0, m.rows, w.data());
    return affine_quantize_rtn(c, w.data(), m.rows, m.cols, e.bits, e.group_size);
}

}  // namespace

std::vector<io::TensorDecl> mlx_tensor_decls(const ExportPlanEntry& e, DType float_dtype) {
    switch (e.action) {
        case Action::Drop: return {};
        case Action::Float: return {{e.target->name, float_dtype, e.shape}};
        case Action::Passthrough:
        case Action::Requantize: break;
    }
    const int64_t rows = e.rows(), cols = e.cols();
    const std::string& mod = e.target->module;
    return {{mod + ".weight", DType::U32, {rows, cols * e.bits / 32}},
            {mod + ".scales", DType::F16, {rows, cols / e.group_size}},
            {mod + ".biases", DType::F16, {rows, cols / e.group_size}}};
}

double convert_tensor(const Compute& c, const package::Weight& w, ExportPlanEntry& e, DType float_dtype,
                      io::SafetensorsWriter& out) {
    const qformat::QMatrix& m = w.mat;
    if (e.action == Action::Drop) return 0.0;
    if (e.action == Action::Float) return write_float(c, m, e, float_dtype, out);
    if (m.rows != e.rows() || m.cols != e.cols())
        fail("tensor '{}': stored as {}x{}, planned as {}x{}", e.source.name, m.rows, m.cols, e.rows(), e.cols());
    AffineMatrix a;
    if (e.action == Action::Passthrough) {
        std::string why;
        if (!affine_from_vlmq(c, m, e.bits, e.group_size, a, &why)) {
            e.action = Action::Requantize;
            e.reason = fmt::format("{}: {}; re-quantized with MLX affine RTN b{} g{}", m.fmt.name(), why, e.bits, e.group_size);
        }
    }
    if (e.action == Action::Requantize) a = requantize(c, m, e);
    const std::string& mod = e.target->module;
    out.write(mod + ".weight", bytes_of(a.words));
    out.write(mod + ".scales", bytes_of(a.scales));
    out.write(mod + ".biases", bytes_of(a.biases));
    return max_diff(c, m, a);
}

}  // namespace vlmq::exporters::mlx
