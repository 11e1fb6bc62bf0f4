#pragma once
// Minimal protocol-buffers wire format (proto3): the encoder the Core ML writer uses and the bounds-checked
// decoder the reader uses. Only what Model.proto / MIL.proto need: varints (wire type 0), 64-bit (1),
// length-delimited (2: strings, bytes, sub-messages, packed repeated scalars) and 32-bit (5).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmq::exporters::coreml::pb {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5 };

// Appends fields to a byte string. proto3 singular fields equal to their default (0, "", false) are not
// written, as protoc-generated code does; `*_always` variants write them anyway (oneof members).
class Writer {
public:
    void varint_field(uint32_t field, uint64_t v);  // skipped when v == 0
    void int32_field(uint32_t field, int32_t v);     // negative values as 10-byte varints (protobuf int32)
    void int64_field(uint32_t field, int64_t v);
    void bool_field(uint32_t field, bool v);
    void string_field(uint32_t field, std::string_view s);  // skipped when empty
    void bytes_always(uint32_t field, std::string_view s);
    void message_field(uint32_t field, const Writer& sub);  // always written (presence matters for messages)

    void packed_floats(uint32_t field, const std::vector<float>& v);
    void packed_int32(uint32_t field, const std::vector<int32_t>& v);
    void packed_int64(uint32_t field, const std::vector<int64_t>& v);
    void packed_bools(uint32_t field, const std::vector<bool>& v);

    const std::string& bytes() const { return buf_; }
    std::string take() { return std::move(buf_); }

    static void put_varint(std::string& out, uint64_t v);

private:
    void tag(uint32_t field, WireType w);
    std::string buf_;
};

struct Field {
    uint32_t number = 0;
    WireType wire = WireType::Varint;
    uint64_t value = 0;     // Varint / Fixed32 / Fixed64
    std::string_view data;  // Len

    int64_t as_int64() const { return int64_t(value); }
    int32_t as_int32() const { return int32_t(uint32_t(value)); }
    bool as_bool() const { return value != 0; }
    float as_float() const;
};

// Iterates the fields of one message; fails (vlmq::Error "<where>: ...") on truncated or malformed input.
class Reader {
public:
    Reader(std::string_view bytes, std::string where) : data_(bytes), where_(std::move(where)) {}
    bool next(Field& f);
    const std::string& where() const { return where_; }

    // Expect helpers: fail naming the field when the wire type is not the one the schema declares.
    static void expect(const Field& f, WireType w, const std::string& where);
    static std::vector<float> floats(const Field& f, const std::string& where);    // packed or single
    static std::vector<int64_t> varints(const Field& f, const std::string& where);  // packed or single

private:
    uint64_t read_varint();
    std::string_view data_;
    size_t pos_ = 0;
    std::string where_;
};

}  // namespace vlmq::exporters::coreml::pb
