// Field numbers from apple/coremltools mlmodel/format/{Model,FeatureTypes,MIL}.proto (public schema facts;
// the table is repeated in docs/coreml.md).
#include "export/coreml/mil_proto.h"

#include "core/error.h"
#include "export/coreml/protobuf_wire.h"

namespace vlmq::exporters::coreml {

namespace {

using pb::Field;
using pb::Reader;
using pb::WireType;
using pb::Writer;

// Model.proto
namespace model_f {
constexpr uint32_t kSpecVersion = 1, kDescription = 2, kMlProgram = 502;
}
namespace desc_f {  // ModelDescription
constexpr uint32_t kInput = 1, kOutput = 10, kMetadata = 100;
}
namespace meta_f {  // Metadata
constexpr uint32_t kShortDescription = 1, kVersionString = 2, kAuthor = 3, kLicense = 4, kUserDefined = 100;
}
namespace feat_f {  // FeatureDescription, FeatureType, ArrayFeatureType
constexpr uint32_t kName = 1, kShortDescription = 2, kType = 3;
constexpr uint32_t kMultiArrayType = 5;
constexpr uint32_t kArrayShape = 1, kArrayDataType = 2;
}
// MIL.proto
namespace mil_f {
constexpr uint32_t kProgramVersion = 1, kProgramFunctions = 2;
constexpr uint32_t kFunctionInputs = 1, kFunctionOpset = 2, kFunctionBlocks = 3;
constexpr uint32_t kBlockInputs = 1, kBlockOutputs = 2, kBlockOperations = 3;
constexpr uint32_t kArgumentArguments = 1, kBindingName = 1, kBindingValue = 2;
constexpr uint32_t kOpType = 1, kOpInputs = 2, kOpOutputs = 3, kOpBlocks = 4, kOpAttributes = 5;
constexpr uint32_t kNamedName = 1, kNamedType = 2;
constexpr uint32_t kValueTypeTensor = 1;
constexpr uint32_t kTensorDataType = 1, kTensorRank = 2, kTensorDimensions = 3;
constexpr uint32_t kDimConstant = 1, kDimUnknown = 2, kConstantSize = 1;
constexpr uint32_t kValueType = 2, kValueImmediate = 3, kValueBlob = 5;
constexpr uint32_t kImmediateTensor = 1;
constexpr uint32_t kBlobFileName = 1, kBlobOffset = 2;
constexpr uint32_t kRepeatedValues = 1;  // values = 1 in every TensorValue.Repeated* message
constexpr uint32_t kMapKey = 1, kMapValue = 2;  // map<K, V> entries
}  // namespace mil_f

// ---------------------------------------------------------------------------------------------- encode

Writer enc_tensor_type(const TensorType& t) {
    Writer w;
    w.varint_field(mil_f::kTensorDataType, uint64_t(t.dtype));
    w.int64_field(mil_f::kTensorRank, int64_t(t.shape.size()));
    for (int64_t d : t.shape) {
        Writer constant, dim;
        constant.varint_field(mil_f::kConstantSize, uint64_t(d));
        dim.message_field(mil_f::kDimConstant, constant);
        w.message_field(mil_f::kTensorDimensions, dim);
    }
    return w;
}

Writer enc_value_type(const TensorType& t) {
    Writer w;
    w.message_field(mil_f::kValueTypeTensor, enc_tensor_type(t));
    return w;
}

Writer enc_value(const Value& v) {
    Writer w;
    w.message_field(mil_f::kValueType, enc_value_type(v.type));
    if (const auto* blob = std::get_if<BlobRef>(&v.data)) {
        Writer b;
        b.string_field(mil_f::kBlobFileName, blob->file);
        b.varint_field(mil_f::kBlobOffset, blob->offset);
        w.message_field(mil_f::kValueBlob, b);
        return w;
    }
    const Immediate& im = std::get<Immediate>(v.data);
    Writer rep;
    switch (im.field) {
        case Immediate::Field::Floats: rep.packed_floats(mil_f::kRepeatedValues, im.floats); break;
        case Immediate::Field::Ints: {
            std::vector<int32_t> v32(im.ints.begin(), im.ints.end());
            rep.packed_int32(mil_f::kRepeatedValues, v32);
            break;
        }
        case Immediate::Field::Bools: {
            std::vector<bool> b;
            for (int64_t x : im.ints) b.push_back(x != 0);
            rep.packed_bools(mil_f::kRepeatedValues, b);
            break;
        }
        case Immediate::Field::Strings:
            for (const auto& s : im.strings) rep.bytes_always(mil_f::kRepeatedValues, s);
            break;
        case Immediate::Field::LongInts: rep.packed_int64(mil_f::kRepeatedValues, im.ints); break;
        case Immediate::Field::Bytes: rep.bytes_always(mil_f::kRepeatedValues, im.bytes); break;
    }
    Writer tensor, immediate;
    tensor.message_field(uint32_t(im.field), rep);
    immediate.message_field(mil_f::kImmediateTensor, tensor);
    w.message_field(mil_f::kValueImmediate, immediate);
    return w;
}

Writer enc_named(const NamedType& n) {
    Writer w;
    w.string_field(mil_f::kNamedName, n.name);
    w.message_field(mil_f::kNamedType, enc_value_type(n.type));
    return w;
}

template <class Enc>
void enc_map_entry(Writer& w, uint32_t field, const std::string& key, const Enc& value) {
    Writer e;
    e.string_field(mil_f::kMapKey, key);
    e.message_field(mil_f::kMapValue, value);
    w.message_field(field, e);
}

Writer enc_operation(const Operation& op) {
    Writer w;
    w.string_field(mil_f::kOpType, op.type);
    for (const auto& [param, bindings] : op.inputs) {
        Writer arg;
        for (const Binding& b : bindings) {
            Writer bw;
            if (b.value)
                bw.message_field(mil_f::kBindingValue, enc_value(*b.value));
            else
                bw.bytes_always(mil_f::kBindingName, b.name);
            arg.message_field(mil_f::kArgumentArguments, bw);
        }
        enc_map_entry(w, mil_f::kOpInputs, param, arg);
    }
    for (const NamedType& o : op.outputs) w.message_field(mil_f::kOpOutputs, enc_named(o));
    for (const auto& [key, value] : op.attributes) enc_map_entry(w, mil_f::kOpAttributes, key, enc_value(value));
    return w;
}

Writer enc_function(const Function& f) {
    Writer w;
    for (const NamedType& in : f.inputs) w.message_field(mil_f::kFunctionInputs, enc_named(in));
    w.string_field(mil_f::kFunctionOpset, f.opset);
    Writer block;
    for (const std::string& o : f.block.outputs) block.bytes_always(mil_f::kBlockOutputs, o);
    for (const Operation& op : f.block.operations) block.message_field(mil_f::kBlockOperations, enc_operation(op));
    enc_map_entry(w, mil_f::kFunctionBlocks, f.opset, block);
    return w;
}

Writer enc_feature(const FeatureDescription& f) {
    Writer array;
    array.packed_int64(feat_f::kArrayShape, f.shape);
    array.varint_field(feat_f::kArrayDataType, uint64_t(f.dtype));
    Writer type;
    type.message_field(feat_f::kMultiArrayType, array);
    Writer w;
    w.string_field(feat_f::kName, f.name);
    w.string_field(feat_f::kShortDescription, f.short_description);
    w.message_field(feat_f::kType, type);
    return w;
}

// ---------------------------------------------------------------------------------------------- decode

TensorType dec_tensor_type(std::string_view bytes, const std::string& where) {
    TensorType t;
    int64_t rank = 0;
    bool have_dtype = false;
    Reader r(bytes, where);
    Field f;
    while (r.next(f)) {
        if (f.number == mil_f::kTensorDataType) {
            Reader::expect(f, WireType::Varint, where);
            if (!data_type_known(f.as_int32())) fail("{}: unknown data type {}", where, f.as_int32());
            t.dtype = DataType(f.as_int32());
            have_dtype = true;
        } else if (f.number == mil_f::kTensorRank) {
            Reader::expect(f, WireType::Varint, where);
            rank = f.as_int64();
        } else if (f.number == mil_f::kTensorDimensions) {
            Reader::expect(f, WireType::Len, where);
            Reader dr(f.data, where + ".dimensions");
            Field df;
            bool constant = false;
            int64_t size = 0;
            while (dr.next(df)) {
                if (df.number == mil_f::kDimConstant) {
                    Reader::expect(df, WireType::Len, where);
                    Reader cr(df.data, where + ".dimensions.constant");
                    Field cf;
                    while (cr.next(cf))
                        if (cf.number == mil_f::kConstantSize) size = cf.as_int64();
                    constant = true;
                } else if (df.number == mil_f::kDimUnknown) {
                    fail("{}: dimension {} is not a constant (flexible shapes are not supported)", where, t.shape.size());
                }
            }
            if (!constant) fail("{}: dimension {} has no size", where, t.shape.size());
            if (size < 0 || size > (int64_t(1) << 40)) fail("{}: dimension size {} out of range", where, size);
            t.shape.push_back(size);
        }
    }
    if (!have_dtype) fail("{}: tensor type without a data type", where);
    if (rank != int64_t(t.shape.size()))
        fail("{}: rank {} but {} dimensions", where, rank, t.shape.size());
    return t;
}

TensorType dec_value_type(std::string_view bytes, const std::string& where) {
    Reader r(bytes, where);
    Field f;
    std::optional<TensorType> t;
    while (r.next(f)) {
        if (f.number == mil_f::kValueTypeTensor) {
            Reader::expect(f, WireType::Len, where);
            t = dec_tensor_type(f.data, where + ".tensorType");
        } else if (f.number >= 2 && f.number <= 5) {
            fail("{}: only tensor types are supported (got ValueType field {})", where, f.number);
        }
    }
    if (!t) fail("{}: empty value type", where);
    return *t;
}

Immediate dec_tensor_value(std::string_view bytes, const std::string& where) {
    Reader r(bytes, where);
    Field f;
    std::optional<Immediate> out;
    while (r.next(f)) {
        if (f.number < 1 || f.number > 7) continue;
        if (f.number == 6) fail("{}: double immediate values are not supported", where);
        Reader::expect(f, WireType::Len, where);
        Immediate im;
        im.field = Immediate::Field(f.number);
        Reader rr(f.data, where);
        Field v;
        while (rr.next(v)) {
            if (v.number != mil_f::kRepeatedValues) continue;
            switch (im.field) {
                case Immediate::Field::Floats: {
                    auto x = Reader::floats(v, where);
                    im.floats.insert(im.floats.end(), x.begin(), x.end());
                    break;
                }
                case Immediate::Field::Ints:
                case Immediate::Field::Bools:
                case Immediate::Field::LongInts: {
                    auto x = Reader::varints(v, where);
                    for (int64_t e : x) im.ints.push_back(im.field == Immediate::Field::Ints ? int64_t(int32_t(e)) : e);
                    break;
                }
                case Immediate::Field::Strings:
                    Reader::expect(v, WireType::Len, where);
                    im.strings.emplace_back(v.data);
                    break;
                case Immediate::Field::Bytes:
                    Reader::expect(v, WireType::Len, where);
                    im.bytes.append(v.data);
                    break;
            }
        }
        out = std::move(im);
    }
    if (!out) fail("{}: immediate tensor value without data", where);
    return *out;
}

Value dec_value(std::string_view bytes, const std::string& where) {
    Reader r(bytes, where);
    Field f;
    std::optional<TensorType> type;
    std::optional<std::variant<Immediate, BlobRef>> data;
    while (r.next(f)) {
        if (f.number == mil_f::kValueType) {
            Reader::expect(f, WireType::Len, where);
            type = dec_value_type(f.data, where + ".type");
        } else if (f.number == mil_f::kValueImmediate) {
            Reader::expect(f, WireType::Len, where);
            Reader ir(f.data, where);
            Field g;
            while (ir.next(g)) {
                if (g.number == mil_f::kImmediateTensor) {
                    Reader::expect(g, WireType::Len, where);
                    data = dec_tensor_value(g.data, where + ".immediateValue.tensor");
                } else if (g.number >= 2 && g.number <= 4) {
                    fail("{}: tuple/list/dictionary immediate values are not supported", where);
                }
            }
        } else if (f.number == mil_f::kValueBlob) {
            Reader::expect(f, WireType::Len, where);
            BlobRef b;
            Reader br(f.data, where);
            Field g;
            while (br.next(g)) {
                if (g.number == mil_f::kBlobFileName) {
                    Reader::expect(g, WireType::Len, where);
                    b.file = std::string(g.data);
                } else if (g.number == mil_f::kBlobOffset) {
                    Reader::expect(g, WireType::Varint, where);
                    b.offset = g.value;
                }
            }
            data = b;
        }
    }
    if (!type) fail("{}: value without a type", where);
    if (!data) fail("{}: value without data", where);
    return Value{*type, std::move(*data)};
}

NamedType dec_named(std::string_view bytes, const std::string& where) {
    NamedType n;
    bool typed = false;
    Reader r(bytes, where);
    Field f;
    while (r.next(f)) {
        if (f.number == mil_f::kNamedName) {
            Reader::expect(f, WireType::Len, where);
            n.name = std::string(f.data);
        } else if (f.number == mil_f::kNamedType) {
            Reader::expect(f, WireType::Len, where);
            n.type = dec_value_type(f.data, where + "." + n.name);
            typed = true;
        }
    }
    if (!typed) fail("{}: '{}' has no type", where, n.name);
    return n;
}

// A map<string, V> entry: returns (key, value bytes).
std::pair<std::string, std::string_view> dec_map_entry(std::string_view bytes, const std::string& where) {
    Reader r(bytes, where);
    Field f;
    std::pair<std::string, std::string_view> kv;
    while (r.next(f)) {
        Reader::expect(f, WireType::Len, where);
        if (f.number == mil_f::kMapKey) kv.first = std::string(f.data);
        if (f.number == mil_f::kMapValue) kv.second = f.data;
    }
    return kv;
}

Operation dec_operation(std::string_view bytes, const std::string& where) {
    Operation op;
    Reader r(bytes, where);
    Field f;
    while (r.next(f)) {
        switch (f.number) {
            case mil_f::kOpType:
                Reader::expect(f, WireType::Len, where);
                op.type = std::string(f.data);
                break;
            case mil_f::kOpInputs: {
                Reader::expect(f, WireType::Len, where);
                auto [param, arg] = dec_map_entry(f.data, where);
                const std::string at = where + ".inputs." + param;
                std::vector<Binding> bindings;
                Reader ar(arg, at);
                Field g;
                while (ar.next(g)) {
                    if (g.number != mil_f::kArgumentArguments) continue;
                    Reader::expect(g, WireType::Len, at);
                    Binding b;
                    Reader brd(g.data, at);
                    Field h;
                    while (brd.next(h)) {
                        Reader::expect(h, WireType::Len, at);
                        if (h.number == mil_f::kBindingName) b.name = std::string(h.data);
                        if (h.number == mil_f::kBindingValue) b.value = dec_value(h.data, at);
                    }
                    bindings.push_back(std::move(b));
                }
                op.inputs[param] = std::move(bindings);
                break;
            }
            case mil_f::kOpOutputs:
                Reader::expect(f, WireType::Len, where);
                op.outputs.push_back(dec_named(f.data, where + ".outputs"));
                break;
            case mil_f::kOpBlocks: fail("{}: nested blocks (control flow) are not supported", where);
            case mil_f::kOpAttributes: {
                Reader::expect(f, WireType::Len, where);
                auto [key, value] = dec_map_entry(f.data, where);
                op.attributes[key] = dec_value(value, where + ".attributes." + key);
                break;
            }
            default: break;
        }
    }
    return op;
}

Function dec_function(std::string_view bytes, const std::string& where) {
    Function fn;
    std::map<std::string, std::string_view> blocks;
    Reader r(bytes, where);
    Field f;
    while (r.next(f)) {
        if (f.number == mil_f::kFunctionInputs) {
            Reader::expect(f, WireType::Len, where);
            fn.inputs.push_back(dec_named(f.data, where + ".inputs"));
        } else if (f.number == mil_f::kFunctionOpset) {
            Reader::expect(f, WireType::Len, where);
            fn.opset = std::string(f.data);
        } else if (f.number == mil_f::kFunctionBlocks) {
            Reader::expect(f, WireType::Len, where);
            auto [key, value] = dec_map_entry(f.data, where);
            blocks[key] = value;
        }
    }
    auto it = blocks.find(fn.opset);
    if (blocks.size() != 1 || it == blocks.end())
        fail("{}: expected one block specialization for opset '{}', found {}", where, fn.opset, blocks.size());
    const std::string bw = where + ".block";
    Reader br(it->second, bw);
    int index = 0;
    while (br.next(f)) {
        if (f.number == mil_f::kBlockInputs) fail("{}: block inputs are not supported", bw);
        if (f.number == mil_f::kBlockOutputs) {
            Reader::expect(f, WireType::Len, bw);
            fn.block.outputs.emplace_back(f.data);
        } else if (f.number == mil_f::kBlockOperations) {
            Reader::expect(f, WireType::Len, bw);
            fn.block.operations.push_back(dec_operation(f.data, bw + ".operations[" + std::to_string(index++) + "]"));
        }
    }
    return fn;
}

Program dec_program(std::string_view bytes, const std::string& where) {
    Program p;
    p.version = 0;
    Reader r(bytes, where);
    Field f;
    while (r.next(f)) {
        if (f.number == mil_f::kProgramVersion) {
            Reader::expect(f, WireType::Varint, where);
            p.version = f.as_int64();
        } else if (f.number == mil_f::kProgramFunctions) {
            Reader::expect(f, WireType::Len, where);
            auto [name, body] = dec_map_entry(f.data, where);
            p.functions[name] = dec_function(body, where + ".functions." + name);
        }
    }
    return p;
}

FeatureDescription dec_feature(std::string_view bytes, const std::string& where) {
    FeatureDescription d;
    bool array = false;
    Reader r(bytes, where);
    Field f;
    while (r.next(f)) {
        if (f.number == feat_f::kName) {
            Reader::expect(f, WireType::Len, where);
            d.name = std::string(f.data);
        } else if (f.number == feat_f::kShortDescription) {
            Reader::expect(f, WireType::Len, where);
            d.short_description = std::string(f.data);
        } else if (f.number == feat_f::kType) {
            Reader::expect(f, WireType::Len, where);
            Reader tr(f.data, where);
            Field g;
            while (tr.next(g)) {
                if (g.number == feat_f::kMultiArrayType) {
                    Reader::expect(g, WireType::Len, where);
                    array = true;
                    Reader ar(g.data, where);
                    Field h;
                    while (ar.next(h)) {
                        if (h.number == feat_f::kArrayShape) {
                            auto s = Reader::varints(h, where);
                            d.shape.insert(d.shape.end(), s.begin(), s.end());
                        } else if (h.number == feat_f::kArrayDataType) {
                            Reader::expect(h, WireType::Varint, where);
                            d.dtype = ArrayDataType(h.as_int32());
                        }
                    }
                } else if (g.number < 1000) {
                    fail("{}: feature '{}' is not a multi-array (FeatureType field {})", where, d.name, g.number);
                }
            }
        }
    }
    if (!array) fail("{}: feature '{}' has no multi-array type", where, d.name);
    return d;
}

}  // namespace

std::string encode_model(const ModelSpec& m) {
    Writer desc;
    for (const auto& in : m.inputs) desc.message_field(desc_f::kInput, enc_feature(in));
    for (const auto& out : m.outputs) desc.message_field(desc_f::kOutput, enc_feature(out));
    Writer meta;
    meta.string_field(meta_f::kShortDescription, m.short_description);
    meta.string_field(meta_f::kVersionString, m.version_string);
    meta.string_field(meta_f::kAuthor, m.author);
    meta.string_field(meta_f::kLicense, m.license);
    for (const auto& [k, v] : m.user_defined) {
        Writer e;
        e.string_field(mil_f::kMapKey, k);
        e.string_field(mil_f::kMapValue, v);
        meta.message_field(meta_f::kUserDefined, e);
    }
    desc.message_field(desc_f::kMetadata, meta);

    Writer program;
    program.int64_field(mil_f::kProgramVersion, m.program.version);
    for (const auto& [name, fn] : m.program.functions) enc_map_entry(program, mil_f::kProgramFunctions, name, enc_function(fn));

    Writer model;
    model.int32_field(model_f::kSpecVersion, m.specification_version);
    model.message_field(model_f::kDescription, desc);
    model.message_field(model_f::kMlProgram, program);
    return model.take();
}

ModelSpec decode_model(std::string_view bytes, const std::string& where) {
    ModelSpec m;
    bool have_program = false;
    Reader r(bytes, where);
    Field f;
    while (r.next(f)) {
        if (f.number == model_f::kSpecVersion) {
            Reader::expect(f, WireType::Varint, where);
            m.specification_version = f.as_int32();
        } else if (f.number == model_f::kDescription) {
            Reader::expect(f, WireType::Len, where);
            const std::string dw = where + ": description";
            Reader dr(f.data, dw);
            Field g;
            while (dr.next(g)) {
                if (g.number == desc_f::kInput) {
                    Reader::expect(g, WireType::Len, dw);
                    m.inputs.push_back(dec_feature(g.data, dw + ".input"));
                } else if (g.number == desc_f::kOutput) {
                    Reader::expect(g, WireType::Len, dw);
                    m.outputs.push_back(dec_feature(g.data, dw + ".output"));
                } else if (g.number == desc_f::kMetadata) {
                    Reader::expect(g, WireType::Len, dw);
                    Reader mr(g.data, dw + ".metadata");
                    Field h;
                    while (mr.next(h)) {
                        Reader::expect(h, WireType::Len, dw + ".metadata");
                        switch (h.number) {
                            case meta_f::kShortDescription: m.short_description = std::string(h.data); break;
                            case meta_f::kVersionString: m.version_string = std::string(h.data); break;
                            case meta_f::kAuthor: m.author = std::string(h.data); break;
                            case meta_f::kLicense: m.license = std::string(h.data); break;
                            case meta_f::kUserDefined: {
                                Reader er(h.data, dw + ".metadata.userDefined");
                                Field e;
                                std::string k, v;
                                while (er.next(e)) {
                                    if (e.number == mil_f::kMapKey) k = std::string(e.data);
                                    if (e.number == mil_f::kMapValue) v = std::string(e.data);
                                }
                                m.user_defined[k] = v;
                                break;
                            }
                            default: break;
                        }
                    }
                }
            }
        } else if (f.number == model_f::kMlProgram) {
            Reader::expect(f, WireType::Len, where);
            m.program = dec_program(f.data, where + ": mlProgram");
            have_program = true;
        } else if (f.number >= 200 && f.number != model_f::kMlProgram) {
            fail("{}: not an ML Program (Model field {} is set)", where, f.number);
        }
    }
    if (!have_program) fail("{}: not an ML Program (no mlProgram field)", where);
    return m;
}

}  // namespace vlmq::exporters::coreml
