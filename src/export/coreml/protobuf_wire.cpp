#include "export/coreml/protobuf_wire.h"

#include <cstring>

#include "core/error.h"

namespace vlmq::exporters::coreml::pb {

void Writer::put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(char(uint8_t(v) | 0x80));
        v >>= 7;
    }
    out.push_back(char(uint8_t(v)));
}

void Writer::tag(uint32_t field, WireType w) { put_varint(buf_, (uint64_t(field) << 3) | uint64_t(w)); }

void Writer::varint_field(uint32_t field, uint64_t v) {
    if (v == 0) return;
    tag(field, WireType::Varint);
    put_varint(buf_, v);
}

void Writer::int32_field(uint32_t field, int32_t v) { varint_field(field, uint64_t(int64_t(v))); }
void Writer::int64_field(uint32_t field, int64_t v) { varint_field(field, uint64_t(v)); }
void Writer::bool_field(uint32_t field, bool v) { varint_field(field, v ? 1 : 0); }

void Writer::string_field(uint32_t field, std::string_view s) {
    if (!s.empty()) bytes_always(field, s);
}

void Writer::bytes_always(uint32_t field, std::string_view s) {
    tag(field, WireType::Len);
    put_varint(buf_, s.size());
    buf_.append(s);
}

void Writer::message_field(uint32_t field, const Writer& sub) { bytes_always(field, sub.bytes()); }

void Writer::packed_floats(uint32_t field, const std::vector<float>& v) {
    std::string body(v.size() * 4, '\0');
    if (!v.empty()) std::memcpy(body.data(), v.data(), body.size());  // wire floats are little-endian, as the host
    bytes_always(field, body);
}

void Writer::packed_int32(uint32_t field, const std::vector<int32_t>& v) {
    std::string body;
    for (int32_t x : v) put_varint(body, uint64_t(int64_t(x)));
    bytes_always(field, body);
}

void Writer::packed_int64(uint32_t field, const std::vector<int64_t>& v) {
    std::string body;
    for (int64_t x : v) put_varint(body, uint64_t(x));
    bytes_always(field, body);
}

void Writer::packed_bools(uint32_t field, const std::vector<bool>& v) {
    std::string body;
    for (bool b : v) body.push_back(b ? 1 : 0);
    bytes_always(field, body);
}

float Field::as_float() const {
    const uint32_t u = uint32_t(value);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

uint64_t Reader::read_varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos_ >= data_.size()) fail("{}: truncated varint at byte {}", where_, pos_);
        const uint8_t b = uint8_t(data_[pos_++]);
        v |= uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    fail("{}: varint longer than 10 bytes at byte {}", where_, pos_);
}

bool Reader::next(Field& f) {
    if (pos_ >= data_.size()) return false;
    const uint64_t key = read_varint();
    f.number = uint32_t(key >> 3);
    if (f.number == 0 || (key >> 3) > 0x1fffffff) fail("{}: invalid field number {}", where_, key >> 3);
    f.data = {};
    f.value = 0;
    switch (key & 7) {
        case 0: f.wire = WireType::Varint; f.value = read_varint(); break;
        case 1:
            f.wire = WireType::Fixed64;
            if (data_.size() - pos_ < 8) fail("{}: truncated 64-bit field {}", where_, f.number);
            std::memcpy(&f.value, data_.data() + pos_, 8);
            pos_ += 8;
            break;
        case 2: {
            f.wire = WireType::Len;
            const uint64_t n = read_varint();
            if (n > data_.size() - pos_)
                fail("{}: field {} claims {} bytes but only {} remain", where_, f.number, n, data_.size() - pos_);
            f.data = data_.substr(pos_, size_t(n));
            pos_ += size_t(n);
            break;
        }
        case 5: {
            f.wire = WireType::Fixed32;
            if (data_.size() - pos_ < 4) fail("{}: truncated 32-bit field {}", where_, f.number);
            uint32_t u;
            std::memcpy(&u, data_.data() + pos_, 4);
            f.value = u;
            pos_ += 4;
            break;
        }
        default: fail("{}: unsupported wire type {} (field {})", where_, key & 7, f.number);
    }
    return true;
}

void Reader::expect(const Field& f, WireType w, const std::string& where) {
    if (f.wire != w) fail("{}: field {} has wire type {}, expected {}", where, f.number, int(f.wire), int(w));
}

std::vector<float> Reader::floats(const Field& f, const std::string& where) {
    if (f.wire == WireType::Fixed32) return {f.as_float()};
    expect(f, WireType::Len, where);
    if (f.data.size() % 4) fail("{}: packed floats of {} bytes (not a multiple of 4)", where, f.data.size());
    std::vector<float> out(f.data.size() / 4);
    if (!out.empty()) std::memcpy(out.data(), f.data.data(), f.data.size());
    return out;
}

std::vector<int64_t> Reader::varints(const Field& f, const std::string& where) {
    if (f.wire == WireType::Varint) return {int64_t(f.value)};
    expect(f, WireType::Len, where);
    std::vector<int64_t> out;
    Reader r(f.data, where);
    while (r.pos_ < r.data_.size()) out.push_back(int64_t(r.read_varint()));
    return out;
}

}  // namespace vlmq::exporters::coreml::pb
