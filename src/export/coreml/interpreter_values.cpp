// Constants: immediate values and weight.bin blobs decoded into Tensors.
#include <cstring>

#include "core/error.h"
#include "core/half.h"
#include "core/shape.h"
#include "export/coreml/interpreter.h"

namespace vlmq::exporters::coreml {

namespace {

bool is_signed_int(DataType t) {
    return t == DataType::Int4 || t == DataType::Int8 || t == DataType::Int16 || t == DataType::Int32 ||
           t == DataType::Int64;
}

// Element bytes of type t (sub-byte types packed) into `out`.
void decode_raw(std::span<const uint8_t> bytes, const TensorType& t, Tensor& out, const std::string& where) {
    const int64_t n = t.numel();
    const int bits = data_type_bits(t.dtype);
    const uint64_t need = (uint64_t(n) * uint64_t(bits) + 7) / 8;
    if (bytes.size() != need)
        fail("{}: {} needs {} bytes of data, found {}", where, type_str(t), need, bytes.size());
    const uint8_t* p = bytes.data();
    switch (t.dtype) {
        case DataType::Float32:
            out.f.resize(size_t(n));
            if (n) std::memcpy(out.f.data(), p, size_t(n) * 4);
            return;
        case DataType::Float16:
        case DataType::BFloat16:
            out.f.resize(size_t(n));
            for (int64_t k = 0; k < n; ++k) {
                uint16_t h;
                std::memcpy(&h, p + 2 * k, 2);
                out.f[size_t(k)] = t.dtype == DataType::Float16 ? f16_to_f32(h) : bf16_to_f32(h);
            }
            return;
        case DataType::Int8:
        case DataType::UInt8:
        case DataType::Bool:
            out.i.resize(size_t(n));
            for (int64_t k = 0; k < n; ++k) out.i[size_t(k)] = t.dtype == DataType::Int8 ? int64_t(int8_t(p[k])) : p[k];
            return;
        case DataType::Int16:
        case DataType::UInt16:
        case DataType::Int32:
        case DataType::UInt32: {
            out.i.resize(size_t(n));
            const int w = bits / 8;
            for (int64_t k = 0; k < n; ++k) {
                uint32_t u = 0;
                std::memcpy(&u, p + w * k, size_t(w));
                if (t.dtype == DataType::Int16) out.i[size_t(k)] = int16_t(u);
                else if (t.dtype == DataType::Int32) out.i[size_t(k)] = int32_t(u);
                else out.i[size_t(k)] = u;
            }
            return;
        }
        case DataType::Int4:
        case DataType::UInt4:
        case DataType::UInt1:
        case DataType::UInt2:
        case DataType::UInt3:
        case DataType::UInt6: {
            const auto v = unpack_subbyte(bytes, n, bits, is_signed_int(t.dtype));
            out.i.assign(v.begin(), v.end());
            return;
        }
        default: fail("{}: {} values cannot be decoded from bytes", where, data_type_name(t.dtype));
    }
}

}  // namespace

int64_t Tensor::numel() const {
    return vlmq::numel(shape);
}

Tensor decode_value(const Value& v, const BlobResolver& blobs, const std::string& where) {
    Tensor t;
    t.dtype = v.type.dtype;
    t.shape = v.type.shape;
    const int64_t n = v.type.numel();
    if (const auto* ref = std::get_if<BlobRef>(&v.data)) {
        const BlobReader& reader = blobs(ref->file);
        const BlobView view = reader.at(ref->offset);
        if (view.dtype != blob_type_of(v.type.dtype))
            fail("{}: blob at offset {} holds data type {}, but the value is {}", where, ref->offset, int(view.dtype),
                 type_str(v.type));
        const int bits = data_type_bits(v.type.dtype);
        const uint64_t pad = bits < 8 && (uint64_t(n) * bits) % 8 ? 8 - (uint64_t(n) * bits) % 8 : 0;
        if (bits < 8 && view.padding_bits != pad)
            fail("{}: blob at offset {} declares {} padding bits, {} expected for {}", where, ref->offset,
                 view.padding_bits, pad, type_str(v.type));
        decode_raw(view.data, v.type, t, where + " (blob at offset " + std::to_string(ref->offset) + ")");
        return t;
    }
    const Immediate& im = std::get<Immediate>(v.data);
    auto count = [&](size_t got) {
        if (int64_t(got) != n) fail("{}: immediate {} holds {} values", where, type_str(v.type), got);
    };
    switch (im.field) {
        case Immediate::Field::Floats:
            if (v.type.dtype != DataType::Float32) fail("{}: {} stored as floats", where, type_str(v.type));
            count(im.floats.size());
            t.f = im.floats;
            break;
        case Immediate::Field::Ints:
        case Immediate::Field::LongInts:
        case Immediate::Field::Bools:
            if (data_type_is_float(v.type.dtype) || v.type.dtype == DataType::String)
                fail("{}: {} stored as integers", where, type_str(v.type));
            count(im.ints.size());
            t.i = im.ints;
            break;
        case Immediate::Field::Strings:
            if (v.type.dtype != DataType::String) fail("{}: {} stored as strings", where, type_str(v.type));
            count(im.strings.size());
            t.s = im.strings;
            break;
        case Immediate::Field::Bytes:
            decode_raw({reinterpret_cast<const uint8_t*>(im.bytes.data()), im.bytes.size()}, v.type, t, where);
            break;
    }
    return t;
}

}  // namespace vlmq::exporters::coreml
