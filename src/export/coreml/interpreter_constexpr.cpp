// Decompression of the constexpr_* ops, following the MIL op definitions (coremltools
// converters/mil/mil/ops/defs/iOS16/constexpr_ops.py, iOS18/compression.py).
#include <cmath>

#include "core/half.h"
#include "export/coreml/interpreter_ops.h"

namespace vlmq::exporters::coreml::interp {

namespace {

float element(const Tensor& t, int64_t k) { return data_type_is_float(t.dtype) ? t.f[size_t(k)] : float(t.i[size_t(k)]); }

// Output in the scale's type: fp16 outputs are rounded to fp16.
Tensor finish(Tensor out, DataType dst) {
    out.dtype = dst;
    if (dst == DataType::Float16)
        for (float& x : out.f) x = round_fp16(x);
    return out;
}

}  // namespace

Tensor constexpr_cast(const OpArgs& a) {
    a.allow({"source_val", "output_dtype"});
    const Tensor& src = a.req("source_val");
    if (src.dtype != DataType::Float16) a.error("source_val must be fp16, got " + std::string(data_type_name(src.dtype)));
    const std::string dst = a.string_scalar("output_dtype", "");
    if (dst != "fp32") a.error("output_dtype must be \"fp32\", got \"" + dst + "\"");
    Tensor out = src;
    out.dtype = DataType::Float32;
    return out;
}

Tensor constexpr_affine_dequantize(const OpArgs& a) {
    a.allow({"quantized_data", "zero_point", "scale", "axis"});
    const Tensor& q = a.req("quantized_data");
    const Tensor& zp = a.req("zero_point");
    const Tensor& scale = a.req("scale");
    if (q.dtype != DataType::Int8 && q.dtype != DataType::UInt8) a.error("quantized_data must be int8 or uint8");
    if (zp.dtype != q.dtype && zp.dtype != DataType::Float32) a.error("zero_point must be fp32 or the data's type");
    if (scale.dtype != DataType::Float32 && scale.dtype != DataType::Float16) a.error("scale must be fp16 or fp32");
    const int64_t rank = int64_t(q.shape.size());
    int64_t axis = a.int_scalar("axis", 0);
    if (axis < -rank || axis >= rank) a.error("axis out of range");
    if (axis < 0) axis += rank;
    const int64_t dim = q.shape[size_t(axis)];
    for (const Tensor* p : {&zp, &scale}) {
        if (p->shape.size() > 1) a.error("scale and zero_point must be scalars or vectors");
        if (p->shape.size() == 1 && p->shape[0] != dim) a.error("scale/zero_point length differs from the axis size");
    }
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner *= q.shape[size_t(d)];
    Tensor out = make_f32(q.shape);
    for (int64_t k = 0; k < q.numel(); ++k) {
        const int64_t c = (k / inner) % dim;
        const float s = element(scale, scale.shape.empty() ? 0 : c);
        const float z = element(zp, zp.shape.empty() ? 0 : c);
        out.f[size_t(k)] = s * (float(q.i[size_t(k)]) - z);
    }
    return finish(std::move(out), scale.dtype);
}

Tensor constexpr_blockwise_shift_scale(const OpArgs& a) {
    a.allow({"data", "scale", "offset"});
    const Tensor& data = a.req("data");
    const Tensor& scale = a.req("scale");
    const Tensor* offset = a.opt("offset");
    const DataType dt = data.dtype;
    if (dt != DataType::Int4 && dt != DataType::UInt4 && dt != DataType::Int8 && dt != DataType::UInt8 &&
        dt != DataType::Float16 && dt != DataType::Float32)
        a.error("data type " + std::string(data_type_name(dt)) + " is not int4/uint4/int8/uint8/fp16/fp32");
    if (scale.dtype != DataType::Float32 && scale.dtype != DataType::Float16) a.error("scale must be fp16 or fp32");
    if (scale.shape.size() != data.shape.size() || data.shape.empty()) a.error("data and scale ranks differ");
    if (offset) {
        if (offset->shape != scale.shape) a.error("offset shape differs from scale shape");
        if (!data_type_is_float(offset->dtype) && offset->dtype != dt) a.error("integer offset must have the data's type");
    }
    const size_t rank = data.shape.size();
    std::vector<int64_t> block(rank), sstride(rank), dstride(rank);
    for (size_t d = 0; d < rank; ++d) {
        if (scale.shape[d] < 1 || data.shape[d] % scale.shape[d] != 0)
            a.error("scale dim " + std::to_string(d) + " does not divide the data dim");
        block[d] = data.shape[d] / scale.shape[d];
    }
    for (size_t d = rank; d-- > 0;) {
        dstride[d] = d + 1 < rank ? dstride[d + 1] * data.shape[d + 1] : 1;
        sstride[d] = d + 1 < rank ? sstride[d + 1] * scale.shape[d + 1] : 1;
    }
    Tensor out = make_f32(data.shape);
    const int64_t n = data.numel();
    for (int64_t k = 0; k < n; ++k) {
        int64_t si = 0;
        for (size_t d = 0; d < rank; ++d) si += ((k / dstride[d]) % data.shape[d] / block[d]) * sstride[d];
        const float v = element(data, k) - (offset ? element(*offset, si) : 0.0f);
        out.f[size_t(k)] = scale.f[size_t(si)] * v;
    }
    return finish(std::move(out), scale.dtype);
}

Tensor constexpr_lut_to_dense(const OpArgs& a) {
    a.allow({"indices", "lut", "shape"});
    const Tensor& idx = a.req("indices");
    const Tensor& lut = a.req("lut");
    const Tensor& shape = a.req("shape");
    if (lut.shape.size() != 1) a.error("only the iOS16 form (a rank-1 lut) is supported");
    if (idx.dtype != DataType::UInt8 || idx.shape.size() != 1) a.error("indices must be a uint8 vector");
    if (shape.dtype != DataType::UInt32) a.error("shape must be uint32");
    const int64_t size = lut.shape[0];
    int bits = 0;
    for (int b : {1, 2, 4, 6, 8})
        if (size == (int64_t(1) << b)) bits = b;
    if (!bits) a.error("lut size " + std::to_string(size) + " is not 2, 4, 16, 64 or 256");
    std::vector<int64_t> out_shape(shape.i.begin(), shape.i.end());
    Tensor out;
    out.shape = out_shape;
    const int64_t n = out.numel();
    if (idx.shape[0] != (n * bits + 7) / 8) a.error("indices hold " + std::to_string(idx.shape[0]) + " bytes");
    std::vector<uint8_t> bytes(idx.i.begin(), idx.i.end());
    const std::vector<int32_t> k = unpack_subbyte(bytes, n, bits, false);
    out.dtype = lut.dtype;
    if (data_type_is_float(lut.dtype)) {
        out.f.resize(size_t(n));
        for (int64_t e = 0; e < n; ++e) out.f[size_t(e)] = lut.f[size_t(k[size_t(e)])];
    } else {
        out.i.resize(size_t(n));
        for (int64_t e = 0; e < n; ++e) out.i[size_t(e)] = lut.i[size_t(k[size_t(e)])];
    }
    return out;
}

}  // namespace vlmq::exporters::coreml::interp
