#include "export/coreml/mil_ir.h"

#include <fmt/format.h>

#include "core/shape.h"

namespace vlmq::exporters::coreml {

std::string_view data_type_name(DataType t) {
    switch (t) {
        case DataType::Bool: return "bool";
        case DataType::String: return "string";
        case DataType::Float16: return "fp16";
        case DataType::Float32: return "fp32";
        case DataType::Float64: return "fp64";
        case DataType::BFloat16: return "bf16";
        case DataType::Int8: return "int8";
        case DataType::Int16: return "int16";
        case DataType::Int32: return "int32";
        case DataType::Int64: return "int64";
        case DataType::Int4: return "int4";
        case DataType::UInt8: return "uint8";
        case DataType::UInt16: return "uint16";
        case DataType::UInt32: return "uint32";
        case DataType::UInt64: return "uint64";
        case DataType::UInt4: return "uint4";
        case DataType::UInt2: return "uint2";
        case DataType::UInt1: return "uint1";
        case DataType::UInt6: return "uint6";
        case DataType::UInt3: return "uint3";
    }
    return "?";
}

bool data_type_known(int32_t v) { return data_type_name(DataType(v)) != "?"; }

int data_type_bits(DataType t) {
    switch (t) {
        case DataType::Bool: return 8;
        case DataType::String: return 0;
        case DataType::Float16:
        case DataType::BFloat16:
        case DataType::Int16:
        case DataType::UInt16: return 16;
        case DataType::Float32:
        case DataType::Int32:
        case DataType::UInt32: return 32;
        case DataType::Float64:
        case DataType::Int64:
        case DataType::UInt64: return 64;
        case DataType::Int8:
        case DataType::UInt8: return 8;
        case DataType::Int4:
        case DataType::UInt4: return 4;
        case DataType::UInt2: return 2;
        case DataType::UInt1: return 1;
        case DataType::UInt6: return 6;
        case DataType::UInt3: return 3;
    }
    return 0;
}

bool data_type_is_float(DataType t) {
    return t == DataType::Float16 || t == DataType::Float32 || t == DataType::Float64 || t == DataType::BFloat16;
}

int64_t TensorType::numel() const {
    return vlmq::numel(shape);
}

std::string type_str(const TensorType& t) { return fmt::format("{}[{}]", data_type_name(t.dtype), fmt::join(t.shape, ",")); }

namespace {

Value immediate(TensorType type, Immediate im) { return Value{std::move(type), std::move(im)}; }

}  // namespace

Value scalar_string(std::string s) {
    Immediate im;
    im.field = Immediate::Field::Strings;
    im.strings = {std::move(s)};
    return immediate({DataType::String, {}}, std::move(im));
}

Value scalar_int32(int32_t v) {
    Immediate im;
    im.field = Immediate::Field::Ints;
    im.ints = {v};
    return immediate({DataType::Int32, {}}, std::move(im));
}

Value scalar_bool(bool v) {
    Immediate im;
    im.field = Immediate::Field::Bools;
    im.ints = {v ? 1 : 0};
    return immediate({DataType::Bool, {}}, std::move(im));
}

Value scalar_fp32(float v) {
    Immediate im;
    im.field = Immediate::Field::Floats;
    im.floats = {v};
    return immediate({DataType::Float32, {}}, std::move(im));
}

Value vector_int32(const std::vector<int32_t>& v) {
    Immediate im;
    im.field = Immediate::Field::Ints;
    im.ints.assign(v.begin(), v.end());
    return immediate({DataType::Int32, {int64_t(v.size())}}, std::move(im));
}

Value tensor_fp32(std::vector<int64_t> shape, std::vector<float> v) {
    Immediate im;
    im.field = Immediate::Field::Floats;
    im.floats = std::move(v);
    return immediate({DataType::Float32, std::move(shape)}, std::move(im));
}

}  // namespace vlmq::exporters::coreml
