#include "quant/tensor_quantizer.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <xxhash.h>

#include "core/error.h"
#include "core/half.h"
#include "package/package_format.h"
#include "qformat/dequant.h"
#include "rounding/rounding.h"

namespace vlmq::quant {

namespace {

// Accumulates ||w||^2 and ||w - w_hat||^2 over rows, in fixed row order (deterministic for any thread count).
// With column scales s (AWQ), the stored matrix holds w * s and the effective weight is w_hat / s.
TensorError measure(const Compute& c, const std::byte* src, DType dtype, const qformat::QMatrix& q,
                    const float* col_scale) {
    const int64_t rows = q.rows, cols = q.cols;
    std::vector<double> ref(static_cast<size_t>(rows)), err(static_cast<size_t>(rows));
    const size_t esize = dtype_size(dtype);
    parallel_for(c.pool, rows, 8, [&](int64_t r0, int64_t r1) {
        std::vector<float> w(static_cast<size_t>(cols)), w_hat(static_cast<size_t>(cols));
        Compute serial = c;
        serial.pool = nullptr;
        for (int64_t r = r0; r < r1; ++r) {
            qformat::convert_to_f32(serial, src + size_t(r * cols) * esize, dtype, cols, w.data());
            qformat::dequantize_rows(serial, q, r, 1, w_hat.data());
            if (col_scale)
                for (int64_t k = 0; k < cols; ++k) w_hat[size_t(k)] /= col_scale[k];
            // Four independent accumulators: the order is fixed, so the sums are reproducible.
            double a[4] = {0, 0, 0, 0}, e[4] = {0, 0, 0, 0};
            int64_t k = 0;
            for (; k + 4 <= cols; k += 4)
                for (int l = 0; l < 4; ++l) {
                    const double x = w[size_t(k + l)], d = x - double(w_hat[size_t(k + l)]);
                    a[l] += x * x;
                    e[l] += d * d;
                }
            for (; k < cols; ++k) {
                const double x = w[size_t(k)], d = x - double(w_hat[size_t(k)]);
                a[0] += x * x;
                e[0] += d * d;
            }
            ref[size_t(r)] = (a[0] + a[1]) + (a[2] + a[3]);
            err[size_t(r)] = (e[0] + e[1]) + (e[2] + e[3]);
        }
    });
    TensorError out;
    for (int64_t r = 0; r < rows; ++r) {
        out.ref_sq += ref[size_t(r)];
        out.err_sq += err[size_t(r)];
    }
    return out;
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

uint64_t tensor_content_hash(std::span<const std::byte> bytes, ThreadPool* pool) {
    constexpr size_t kBlock = 1 << 20;
    const int64_t blocks = int64_t((bytes.size() + kBlock - 1) / kBlock);
    std::vector<uint64_t> digests(static_cast<size_t>(std::max<int64_t>(blocks, 1)), 0);
    parallel_for(pool, blocks, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
            const size_t off = size_t(b) * kBlock;
            digests[size_t(b)] = XXH3_64bits(bytes.data() + off, std::min(kBlock, bytes.size() - off));
        }
    });
    return XXH3_64bits(digests.data(), digests.size() * sizeof(uint64_t));
}

TensorError TensorQuantizer::quantize(const PlanEntry& e, std::span<const std::byte> src,
                                      io::SafetensorsWriter& writer) const {
    if (e.keep) {
        writer.write(e.tensor.name, src);
        TensorError kept;
        kept.source_hash = tensor_content_hash(src, compute_.pool);
        return kept;
    }
    if (!dtype_is_float(e.tensor.dtype))
        fail("cannot convert a {} tensor to {}", dtype_name(e.tensor.dtype), e.precision.format.name());
    // AWQ-scaled tensors are scaled here, in fp32; errors are still measured against the original.
    const std::vector<AwqScaling>* scalings = awq_ ? awq_->scalings_of(e.tensor.name) : nullptr;
    const float* col_scale = awq_ ? awq_->column_scales(e.tensor.name) : nullptr;
    const std::vector<float> scaled = scalings ? awq_scaled_tensor(compute_, *awq_, *scalings, src, e.tensor.dtype,
                                                                   e.rows, e.cols)
                                               : std::vector<float>();
    const bool transformed = scalings != nullptr;
    const DType dtype = transformed ? DType::F32 : e.tensor.dtype;
    const std::byte* base = transformed ? reinterpret_cast<const std::byte*>(scaled.data()) : src.data();
    const size_t esize = dtype_size(dtype), src_esize = dtype_size(e.tensor.dtype);
    rounding::Algorithm algo = e.precision.algorithm;
    const bool awq_scaled = algo == rounding::Algorithm::Awq && transformed;
    if (algo == rounding::Algorithm::Awq) algo = awq_scaled ? rounding::Algorithm::Rtn : rounding::Algorithm::Weighted;
    // Measured against the scaled values when there are no column scales to undo (producers, alpha 0).
    const bool measure_scaled = transformed && !col_scale;

    TensorError total;
    total.source_hash = tensor_content_hash(src, compute_.pool);
    if (rounding::needs_whole_matrix(algo) && e.precision.format.is_int()) {
        // GPTQ: the whole matrix at once (it parallelises over rows itself).
        qformat::QMatrixBuffer buf(e.precision.format, e.rows, e.cols);
        const rounding::Algorithm applied =
            rounding::quantize_matrix(compute_, algo, base, dtype, buf.mut(), stats_, e.tensor.name);
        total.algorithm = awq_scaled ? rounding::Algorithm::Awq : applied;
        write_matrix_rows(writer, e.tensor.name, buf, 0);
        const TensorError part = measure_scaled ? measure(compute_, base, dtype, buf.view(), nullptr)
                                                  : measure(compute_, src.data(), e.tensor.dtype, buf.view(), col_scale);
        total.ref_sq = part.ref_sq;
        total.err_sq = part.err_sq;
        return total;
    }
    // Row-wise algorithms: blocks of rows in parallel, each quantized, written and measured by one thread
    // (block boundaries do not depend on the thread count, so neither do the sums).
    const int64_t block_rows = std::max<int64_t>(1, (int64_t(64) << 10) / std::max<int64_t>(1, e.cols));
    const int64_t blocks = (e.rows + block_rows - 1) / block_rows;
    std::vector<TensorError> parts(static_cast<size_t>(blocks));
    std::vector<rounding::Algorithm> applied(static_cast<size_t>(blocks), algo);
    Compute serial = compute_;
    serial.pool = nullptr;
    parallel_for(compute_.pool, blocks, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
            const int64_t r0 = b * block_rows, nr = std::min(block_rows, e.rows - r0);
            qformat::QMatrixBuffer buf(e.precision.format, nr, e.cols);
            const std::byte* chunk = base + size_t(r0 * e.cols) * esize;
            applied[size_t(b)] = rounding::quantize_matrix(serial, algo, chunk, dtype, buf.mut(), stats_, e.tensor.name);
            write_matrix_rows(writer, e.tensor.name, buf, r0);
            parts[size_t(b)] = measure_scaled ? measure(serial, chunk, dtype, buf.view(), nullptr)
                                                : measure(serial, src.data() + size_t(r0 * e.cols) * src_esize,
                                                          e.tensor.dtype, buf.view(), col_scale);
        }
    });
    for (const auto& p : parts) {
        total.ref_sq += p.ref_sq;
        total.err_sq += p.err_sq;
    }
    if (e.precision.format.is_int()) total.algorithm = awq_scaled ? rounding::Algorithm::Awq : applied.front();
    return total;
}

}  // namespace vlmq::quant
