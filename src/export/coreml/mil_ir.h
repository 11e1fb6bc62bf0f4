#pragma once
// In-memory form of the subset of Core ML's Model.proto / MIL.proto that vlmq writes and reads back: one
// ML Program with one function ("main"), one block, flat operations on tensors. The writer builds it
// (fastvit_program), mil_proto encodes/decodes it, the interpreter runs it. Field numbers: docs/coreml.md.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vlmq::exporters::coreml {

// MIL.proto DataType (the enum values are the wire values).
enum class DataType : int32_t {
    Bool = 1,
    String = 2,
    Float16 = 10,
    Float32 = 11,
    Float64 = 12,
    BFloat16 = 13,
    Int8 = 21,
    Int16 = 22,
    Int32 = 23,
    Int64 = 24,
    Int4 = 25,
    UInt8 = 31,
    UInt16 = 32,
    UInt32 = 33,
    UInt64 = 34,
    UInt4 = 35,
    UInt2 = 36,
    UInt1 = 37,
    UInt6 = 38,
    UInt3 = 39,
};
std::string_view data_type_name(DataType t);  // MIL spelling: "fp32", "int4", "uint8", ...
bool data_type_known(int32_t v);
int data_type_bits(DataType t);  // storage bits per element; 0 for String
bool data_type_is_float(DataType t);

struct TensorType {
    DataType dtype = DataType::Float32;
    std::vector<int64_t> shape;  // rank = shape.size(); rank 0 = scalar

    int64_t numel() const;
    friend bool operator==(const TensorType&, const TensorType&) = default;
};
std::string type_str(const TensorType& t);  // "fp32[1,3,256,256]"

// TensorValue: which oneof member carries the data decides how it is read (MIL stores fp16, int8, uint8,
// sub-byte and uint32 values in `bytes`; fp32 in `floats`; int32/int16/uint16 in `ints`; int64 in `longInts`).
struct Immediate {
    enum class Field : uint8_t { Floats = 1, Ints = 2, Bools = 3, Strings = 4, LongInts = 5, Bytes = 7 };
    Field field = Field::Floats;
    std::vector<float> floats;
    std::vector<int64_t> ints;  // Ints, LongInts and Bools
    std::vector<std::string> strings;
    std::string bytes;
};

// Value.blobFileValue: fileName "@model_path/weights/weight.bin", offset of the blob's metadata record.
struct BlobRef {
    std::string file;
    uint64_t offset = 0;
};

struct Value {
    TensorType type;
    std::variant<Immediate, BlobRef> data;

    bool is_blob() const { return std::holds_alternative<BlobRef>(data); }
};

// Immediate-value constructors (scalars have rank 0).
Value scalar_string(std::string s);
Value scalar_int32(int32_t v);
Value scalar_bool(bool v);
Value scalar_fp32(float v);
Value vector_int32(const std::vector<int32_t>& v);
Value tensor_fp32(std::vector<int64_t> shape, std::vector<float> v);

// Argument.Binding: a variable name or an inline value.
struct Binding {
    std::string name;
    std::optional<Value> value;
};

struct NamedType {
    std::string name;
    TensorType type;
};

struct Operation {
    std::string type;
    std::map<std::string, std::vector<Binding>> inputs;  // parameter -> bindings (one each here)
    std::vector<NamedType> outputs;
    std::map<std::string, Value> attributes;  // "name", and const's "val" / iOS16-17 constexpr parameters
};

struct Block {
    std::vector<std::string> outputs;
    std::vector<Operation> operations;
};

struct Function {
    std::vector<NamedType> inputs;
    std::string opset;  // "CoreML6" (iOS16), "CoreML7" (iOS17), "CoreML8" (iOS18)
    Block block;        // stored as block_specializations[opset]
};

struct Program {
    int64_t version = 1;
    std::map<std::string, Function> functions;
};

// ArrayFeatureType.ArrayDataType wire values.
enum class ArrayDataType : int32_t { Float32 = 65568, Double = 65600, Int32 = 131104, Float16 = 65552 };

struct FeatureDescription {
    std::string name, short_description;
    std::vector<int64_t> shape;
    ArrayDataType dtype = ArrayDataType::Float32;
};

// Model: specificationVersion, description (inputs, outputs, metadata), mlProgram.
struct ModelSpec {
    int32_t specification_version = 0;
    std::vector<FeatureDescription> inputs, outputs;
    std::string short_description, version_string, author, license;
    std::map<std::string, std::string> user_defined;
    Program program;
};

}  // namespace vlmq::exporters::coreml
