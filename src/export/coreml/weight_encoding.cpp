#include "export/coreml/weight_encoding.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "core/half.h"

namespace vlmq::exporters::coreml {

namespace {

using qformat::Encoding;

// Row r of the weight in fp32, the per-row factor applied as the engine folds BatchNorm.
void dequant_row(const WeightInput& w, int64_t r, float* out) {
    qformat::dequantize_row_ref(w.mat, r, out);
    if (!w.row_scale.empty())
        for (int64_t c = 0; c < w.mat.cols; ++c) out[c] = float(double(out[c]) * w.row_scale[size_t(r)]);
}

// Distinct values of the whole dequantized tensor (by bit pattern), or nullopt above 256.
std::optional<std::vector<float>> distinct_levels(const WeightInput& w) {
    std::set<uint32_t> seen;
    std::vector<float> row(size_t(w.mat.cols));
    for (int64_t r = 0; r < w.mat.rows; ++r) {
        dequant_row(w, r, row.data());
        for (float x : row) {
            seen.insert(bits_from_f32(x));
            if (seen.size() > 256) return std::nullopt;
        }
    }
    std::vector<float> out;
    for (uint32_t b : seen) out.push_back(f32_from_bits(b));
    return out;
}

int lut_bits(size_t levels) {
    for (int b : {1, 2, 4, 6, 8})
        if (levels <= (size_t(1) << b)) return b;
    return 0;
}

std::vector<int32_t> row_codes(const qformat::QMatrix& m, int64_t r) {
    std::vector<uint8_t> u(size_t(m.cols));
    qformat::unpack_codes_ref(m.row_data(r), m.cols, m.fmt.bits, u.data());
    return {u.begin(), u.end()};
}

std::string not_expressible(const WeightInput& w, Target t, const std::string& hint) {
    return fmt::format("tensor '{}': format {} is not expressible for {}: {}", w.tensor, w.mat.fmt.name(),
                       target_info(t).name, hint);
}

}  // namespace

std::string StoragePlan::describe() const {
    switch (kind) {
        case StorageKind::Fp16Cast: return "fp16";
        case StorageKind::Fp32: return "fp32";
        case StorageKind::Blockwise: return "blockwise " + std::string(data_type_name(data_type));
        case StorageKind::AffinePerChannel: return "per-channel " + std::string(data_type_name(data_type));
        case StorageKind::Lut: return "lut " + std::string(data_type_name(data_type));
    }
    return "?";
}

std::optional<std::vector<int64_t>> block_scale_shape(const std::vector<int64_t>& shape, int64_t group) {
    if (shape.empty() || group < 1) return std::nullopt;
    std::vector<int64_t> out(shape.size());
    out[0] = shape[0];
    int64_t rem = group;
    for (size_t i = shape.size(); i-- > 1;) {
        if (rem == 1) {
            out[i] = shape[i];
        } else if (rem % shape[i] == 0) {
            out[i] = 1;
            rem /= shape[i];
        } else if (shape[i] % rem == 0) {
            out[i] = shape[i] / rem;
            rem = 1;
        } else {
            return std::nullopt;
        }
    }
    if (rem != 1) return std::nullopt;
    return out;
}

StoragePlan plan_storage(const WeightInput& w, Target t, FloatStorage fs) {
    StoragePlan p;
    int64_t cols = 1;
    for (size_t i = 1; i < w.shape.size(); ++i) cols *= w.shape[i];
    if (w.shape.empty() || w.shape[0] != w.mat.rows || cols != w.mat.cols)
        fail("tensor '{}': MIL shape [{}] does not match a {}x{} matrix", w.tensor, fmt::join(w.shape, ","), w.mat.rows,
             w.mat.cols);
    const qformat::Format& f = w.mat.fmt;
    if (!f.is_int()) {
        const bool fp16 = fs == FloatStorage::F16 && w.row_scale.empty();
        p.kind = fp16 ? StorageKind::Fp16Cast : StorageKind::Fp32;
        p.data_type = fp16 ? DataType::Float16 : DataType::Float32;
        return p;
    }
    const qformat::Layout l = w.mat.layout();
    if (t == Target::iOS18) {
        auto scale_shape = block_scale_shape(w.shape, l.group);
        if (!scale_shape) {
            p.error = not_expressible(w, t, fmt::format("its groups of {} do not tile the shape [{}]", l.group,
                                                        fmt::join(w.shape, ",")));
            return p;
        }
        p.kind = StorageKind::Blockwise;
        p.scale_shape = *scale_shape;
        if (f.bits <= 4)
            p.data_type = f.symmetric ? DataType::Int4 : DataType::UInt4;
        else
            p.data_type = f.symmetric ? DataType::Int8 : DataType::UInt8;
        return p;
    }
    if (l.groups_per_row == 1) {
        p.kind = StorageKind::AffinePerChannel;
        p.data_type = f.symmetric ? DataType::Int8 : DataType::UInt8;
        return p;
    }
    if (auto levels = distinct_levels(w)) {
        p.kind = StorageKind::Lut;
        const int b = lut_bits(levels->size());
        p.data_type = b == 1 ? DataType::UInt1 : b == 2 ? DataType::UInt2 : b == 4 ? DataType::UInt4
                    : b == 6 ? DataType::UInt6 : DataType::UInt8;
        return p;
    }
    p.error = not_expressible(w, t, "use ios18 or re-quantize with int8 (per-channel)");
    return p;
}

EncodedWeight encode_weight(MilBuilder& b, const std::string& name, const WeightInput& w, FloatStorage fs) {
    EncodedWeight e;
    e.plan = plan_storage(w, b.target(), fs);
    if (!e.plan.error.empty()) fail("{}", e.plan.error);
    const StoragePlan& p = e.plan;
    const qformat::QMatrix& m = w.mat;
    const qformat::Format& f = m.fmt;
    const TensorType out{DataType::Float32, w.shape};
    const int64_t n = m.rows * m.cols;

    switch (p.kind) {
        case StorageKind::Fp16Cast: {
            std::vector<float> row(size_t(m.cols));
            std::vector<uint16_t> h(static_cast<size_t>(n));
            for (int64_t r = 0; r < m.rows; ++r) {
                qformat::dequantize_row_ref(m, r, row.data());
                for (int64_t c = 0; c < m.cols; ++c) {
                    const uint16_t v = f32_to_f16(row[size_t(c)]);
                    if ((v & 0x7c00u) == 0x7c00u && std::isfinite(row[size_t(c)]))
                        fail("tensor '{}': value {} at row {} overflows fp16; export with --float-weights fp32",
                             w.tensor, row[size_t(c)], r);
                    h[size_t(r * m.cols + c)] = v;
                }
            }
            Value src = b.blob_value({DataType::Float16, w.shape},
                                     {reinterpret_cast<const uint8_t*>(h.data()), h.size() * 2});
            e.blob_bytes = int64_t(h.size()) * 2;
            e.var = b.constexpr_op("constexpr_cast", name, {{"source_val", std::move(src)}, {"output_dtype", scalar_string("fp32")}},
                                   out);
            return e;
        }
        case StorageKind::Fp32: {
            std::vector<float> v(static_cast<size_t>(n));
            for (int64_t r = 0; r < m.rows; ++r) dequant_row(w, r, v.data() + r * m.cols);
            e.blob_bytes = n >= kMinBlobElements ? n * 4 : 0;
            e.var = b.const_fp32(name, w.shape, v);
            return e;
        }
        case StorageKind::Blockwise:
        case StorageKind::AffinePerChannel: {
            const qformat::Layout l = m.layout();
            const int64_t half = int64_t(1) << (f.bits - 1);
            std::vector<int32_t> codes(static_cast<size_t>(n));
            std::vector<float> scale(size_t(l.scale_count())), offset;
            if (!f.symmetric) offset.resize(scale.size());
            for (int64_t r = 0; r < m.rows; ++r) {
                std::vector<int32_t> u = row_codes(m, r);
                const double factor = w.row_scale.empty() ? 1.0 : w.row_scale[size_t(r)];
                for (int64_t g = 0; g < l.groups_per_row; ++g) {
                    const size_t gi = size_t(r * l.groups_per_row + g);
                    const float s = f16_to_f32(m.scales[gi]);
                    int32_t* q = codes.data() + r * m.cols + g * l.group;
                    const int32_t* ug = u.data() + g * l.group;
                    if (f.symmetric) {
                        scale[gi] = float(double(s) * factor);
                        for (int64_t j = 0; j < l.group; ++j) q[j] = ug[j] - int32_t(half);
                    } else {
                        const float bias = f16_to_f32(m.biases[gi]);
                        if (s == 0.0f) {  // w = m for every code: scale m, offset 0, data 1
                            scale[gi] = float(double(bias) * factor);
                            offset[gi] = 0.0f;
                            for (int64_t j = 0; j < l.group; ++j) q[j] = 1;
                        } else {
                            scale[gi] = float(double(s) * factor);
                            offset[gi] = -(bias / s);
                            for (int64_t j = 0; j < l.group; ++j) q[j] = ug[j];
                        }
                    }
                }
            }
            const int bits = data_type_bits(p.data_type);
            std::vector<uint8_t> packed;
            if (bits == 8) {
                packed.resize(codes.size());
                for (size_t i = 0; i < codes.size(); ++i) packed[i] = uint8_t(codes[i]);
            } else {
                packed = pack_subbyte(codes, bits);
            }
            Value data = b.blob_value({p.data_type, w.shape}, packed);
            e.blob_bytes = int64_t(packed.size());
            auto add_fp32 = [&](const std::vector<int64_t>& shape, const std::vector<float>& v) {
                Value val = b.fp32_value(shape, v);
                if (val.is_blob()) e.blob_bytes += int64_t(v.size()) * 4;
                return val;
            };
            if (p.kind == StorageKind::Blockwise) {
                std::vector<std::pair<std::string, Value>> params{{"data", std::move(data)},
                                                                  {"scale", add_fp32(p.scale_shape, scale)}};
                if (!f.symmetric) params.emplace_back("offset", add_fp32(p.scale_shape, offset));
                e.var = b.constexpr_op("constexpr_blockwise_shift_scale", name, params, out);
                return e;
            }
            Value zero_point;
            if (f.symmetric) {
                Immediate im;
                im.field = Immediate::Field::Bytes;
                im.bytes = std::string(1, '\0');
                zero_point.type = {DataType::Int8, {}};
                zero_point.data = std::move(im);
            } else {
                zero_point = add_fp32({m.rows}, offset);
            }
            e.var = b.constexpr_op("constexpr_affine_dequantize", name,
                                   {{"quantized_data", std::move(data)},
                                    {"zero_point", std::move(zero_point)},
                                    {"scale", add_fp32({m.rows}, scale)},
                                    {"axis", scalar_int32(0)}},
                                   out);
            return e;
        }
        case StorageKind::Lut: {
            const std::vector<float> levels = *distinct_levels(w);
            const int bits = data_type_bits(p.data_type);
            std::vector<float> lut(size_t(1) << bits, 0.0f);
            std::copy(levels.begin(), levels.end(), lut.begin());
            std::vector<int32_t> idx(static_cast<size_t>(n));
            std::vector<float> row(size_t(m.cols));
            for (int64_t r = 0; r < m.rows; ++r) {
                dequant_row(w, r, row.data());
                for (int64_t c = 0; c < m.cols; ++c) {
                    const uint32_t key = bits_from_f32(row[size_t(c)]);
                    auto it = std::find_if(levels.begin(), levels.end(), [&](float x) { return bits_from_f32(x) == key; });
                    idx[size_t(r * m.cols + c)] = int32_t(it - levels.begin());
                }
            }
            const std::vector<uint8_t> packed = pack_subbyte(idx, bits);
            Value indices = b.blob_value({DataType::UInt8, {int64_t(packed.size())}}, packed);
            Immediate shape_im;
            shape_im.field = Immediate::Field::Bytes;
            for (int64_t d : w.shape) {
                const uint32_t v = uint32_t(d);
                shape_im.bytes.append(reinterpret_cast<const char*>(&v), 4);
            }
            e.blob_bytes = int64_t(packed.size());
            Value lut_v = b.fp32_value({int64_t(lut.size())}, lut);
            if (lut_v.is_blob()) e.blob_bytes += int64_t(lut.size()) * 4;
            Value shape_v;
            shape_v.type = {DataType::UInt32, {int64_t(w.shape.size())}};
            shape_v.data = std::move(shape_im);
            e.var = b.constexpr_op("constexpr_lut_to_dense", name,
                                   {{"indices", std::move(indices)}, {"lut", std::move(lut_v)}, {"shape", std::move(shape_v)}},
                                   out);
            return e;
        }
    }
    fail("tensor '{}': unhandled storage plan", w.tensor);
}

}  // namespace vlmq::exporters::coreml
