#include "quant/tensor_quantizer.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/half.h"
#include "package/package_format.h"
#include "qformat/dequant.h"
#include "quant/awq_transform.h"
#include "rounding/rounding.h"

namespace vlmq::quant {

void source_rows_to_f32(const std::byte* src, DType dtype, int64_t count, float* out) {
    switch (dtype) {
        case DType::F32: std::memcpy(out, src, size_t(count) * 4); return;
        case DType::BF16:
            for (int64_t i = 0; i < count; ++i) {
                uint16_t h;
                std::memcpy(&h, src + 2 * i, 2);
                out[i] = bf16_to_f32(h);
            }
            return;
        case DType::F16:
            for (int64_t i = 0; i < count; ++i) {
                uint16_t h;
                std::memcpy(&h, src + 2 * i, 2);
                out[i] = f16_to_f32(h);
            }
            return;
        default: fail("dtype {} is not a floating-point type", dtype_name(dtype));
    }
}

namespace {

// Accumulates ||w||^2 and ||w - w_hat||^2 over rows, in fixed row order (deterministic for any thread count).
// With column scales s (AWQ), the stored matrix holds w * s and the effective weight is w_hat / s.
TensorError measure(const kernels::Compute& c, const std::byte* src, DType dtype, const qformat::QMatrix& q,
                    const float* col_scale) {
    const int64_t rows = q.rows, cols = q.cols;
    std::vector<double> ref(static_cast<size_t>(rows)), err(static_cast<size_t>(rows));
    const size_t esize = dtype_size(dtype);
    parallel_for(c.pool, rows, 8, [&](int64_t r0, int64_t r1) {
        std::vector<float> w(static_cast<size_t>(cols)), w_hat(static_cast<size_t>(cols));
        kernels::Compute serial = c;
        serial.pool = nullptr;
        for (int64_t r = r0; r < r1; ++r) {
            source_rows_to_f32(src + size_t(r * cols) * esize, dtype, cols, w.data());
            qformat::dequantize_rows(serial, q, r, 1, w_hat.data());
            if (col_scale)
                for (int64_t k = 0; k < cols; ++k) w_hat[size_t(k)] /= col_scale[k];
            double a = 0, b = 0;
            for (int64_t k = 0; k < cols; ++k) {
                const double d = double(w[size_t(k)]) - double(w_hat[size_t(k)]);
                a += double(w[size_t(k)]) * double(w[size_t(k)]);
                b += d * d;
            }
            ref[size_t(r)] = a;
            err[size_t(r)] = b;
        }
    });
    TensorError e;
    for (int64_t r = 0; r < rows; ++r) {
        e.ref_sq += ref[size_t(r)];
        e.err_sq += err[size_t(r)];
    }
    return e;
}

void write_matrix_rows(io::SafetensorsWriter& w, const std::string& name, const qformat::QMatrixBuffer& buf,
                       int64_t row0) {
    const qformat::Layout l = qformat::layout_of(buf.fmt, buf.rows, buf.cols);
    w.write_chunk(name, uint64_t(row0 * l.row_bytes), std::as_bytes(std::span(buf.data)));
    if (!buf.fmt.is_int()) return;
    const uint64_t scale_off = uint64_t(row0 * l.groups_per_row) * 2;
    w.write_chunk(package::scales_name(name), scale_off, std::as_bytes(std::span(buf.scales)));
    if (!buf.fmt.symmetric) w.write_chunk(package::biases_name(name), scale_off, std::as_bytes(std::span(buf.biases)));
}

}  // namespace

TensorError TensorQuantizer::quantize(const PlanEntry& e, std::span<const std::byte> src,
                                      io::SafetensorsWriter& writer) const {
    if (e.keep) {
        writer.write(e.tensor.name, src);
        return {};
    }
    if (!dtype_is_float(e.tensor.dtype))
        fail("cannot convert a {} tensor to {}", dtype_name(e.tensor.dtype), e.precision.format.name());
    // AWQ-scaled tensors come from the transform (fp32); errors are still measured against the original.
    const std::vector<float>* replaced = nullptr;
    const float* col_scale = nullptr;
    if (awq_) {
        if (auto it = awq_->replaced.find(e.tensor.name); it != awq_->replaced.end()) replaced = &it->second;
        if (auto it = awq_->column_scales.find(e.tensor.name); it != awq_->column_scales.end()) col_scale = it->second.data();
    }
    const DType dtype = replaced ? DType::F32 : e.tensor.dtype;
    const std::byte* base = replaced ? reinterpret_cast<const std::byte*>(replaced->data()) : src.data();
    const size_t esize = dtype_size(dtype);
    rounding::Algorithm algo = rounding::parse_algorithm(e.precision.algorithm);
    const bool awq_scaled = algo == rounding::Algorithm::Awq && replaced;
    if (algo == rounding::Algorithm::Awq) algo = awq_scaled ? rounding::Algorithm::Rtn : rounding::Algorithm::Weighted;

    TensorError total;
    // Row-wise algorithms stream in chunks; algorithms that need the whole matrix get it in one piece.
    const bool whole = rounding::needs_whole_matrix(algo) && e.precision.format.is_int();
    const int64_t chunk_rows = whole ? e.rows : std::max<int64_t>(1, (int64_t(4) << 20) / std::max<int64_t>(1, e.cols));
    for (int64_t r0 = 0; r0 < e.rows; r0 += chunk_rows) {
        const int64_t nr = std::min(chunk_rows, e.rows - r0);
        qformat::QMatrixBuffer buf(e.precision.format, nr, e.cols);
        const std::byte* chunk = base + size_t(r0 * e.cols) * esize;
        const rounding::Algorithm applied =
            rounding::quantize_matrix(compute_, algo, chunk, dtype, buf.mut(), stats_, e.tensor.name);
        if (e.precision.format.is_int()) total.algorithm = awq_scaled ? "awq" : rounding::algorithm_name(applied);
        write_matrix_rows(writer, e.tensor.name, buf, r0);
        const std::byte* orig = src.data() + size_t(r0 * e.cols) * dtype_size(e.tensor.dtype);
        const TensorError part = replaced && !col_scale
                                     ? measure(compute_, chunk, dtype, buf.view(), nullptr)
                                     : measure(compute_, orig, e.tensor.dtype, buf.view(), col_scale);
        total.ref_sq += part.ref_sq;
        total.err_sq += part.err_sq;
    }
    return total;
}

}  // namespace vlmq::quant
