#include "export/coreml/blob_storage.h"

#include <cstring>

#include "core/error.h"

namespace vlmq::exporters::coreml {

namespace {

void put_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put_u64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t get_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint64_t get_u64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

int blob_bits(BlobDataType t) {
    switch (t) {
        case BlobDataType::Float16:
        case BlobDataType::BFloat16:
        case BlobDataType::Int16:
        case BlobDataType::UInt16: return 16;
        case BlobDataType::Float32:
        case BlobDataType::Int32:
        case BlobDataType::UInt32: return 32;
        case BlobDataType::UInt8:
        case BlobDataType::Int8: return 8;
        case BlobDataType::Int4:
        case BlobDataType::UInt4: return 4;
        case BlobDataType::UInt1: return 1;
        case BlobDataType::UInt2: return 2;
        case BlobDataType::UInt3: return 3;
        case BlobDataType::UInt6: return 6;
    }
    return 0;
}

}  // namespace

BlobDataType blob_type_of(DataType t) {
    switch (t) {
        case DataType::Float16: return BlobDataType::Float16;
        case DataType::Float32: return BlobDataType::Float32;
        case DataType::BFloat16: return BlobDataType::BFloat16;
        case DataType::UInt8: return BlobDataType::UInt8;
        case DataType::Int8: return BlobDataType::Int8;
        case DataType::Int16: return BlobDataType::Int16;
        case DataType::UInt16: return BlobDataType::UInt16;
        case DataType::Int32: return BlobDataType::Int32;
        case DataType::UInt32: return BlobDataType::UInt32;
        case DataType::Int4: return BlobDataType::Int4;
        case DataType::UInt4: return BlobDataType::UInt4;
        case DataType::UInt1: return BlobDataType::UInt1;
        case DataType::UInt2: return BlobDataType::UInt2;
        case DataType::UInt3: return BlobDataType::UInt3;
        case DataType::UInt6: return BlobDataType::UInt6;
        default: fail("MIL type {} has no blob-storage encoding", data_type_name(t));
    }
}

std::vector<uint8_t> pack_subbyte(std::span<const int32_t> values, int bits) {
    std::vector<uint8_t> out((values.size() * size_t(bits) + 7) / 8, 0);
    const uint32_t mask = (1u << bits) - 1;
    for (size_t i = 0; i < values.size(); ++i) {
        const uint32_t u = uint32_t(values[i]) & mask;
        const size_t bit = i * size_t(bits);
        out[bit / 8] |= uint8_t(u << (bit % 8));
        if (bit % 8 + size_t(bits) > 8) out[bit / 8 + 1] |= uint8_t(u >> (8 - bit % 8));
    }
    return out;
}

std::vector<int32_t> unpack_subbyte(std::span<const uint8_t> bytes, int64_t n, int bits, bool is_signed) {
    std::vector<int32_t> out(static_cast<size_t>(n));
    const uint32_t mask = (1u << bits) - 1;
    for (int64_t i = 0; i < n; ++i) {
        const size_t bit = size_t(i) * size_t(bits);
        uint32_t u = bytes[bit / 8] >> (bit % 8);
        if (bit % 8 + size_t(bits) > 8) u |= uint32_t(bytes[bit / 8 + 1]) << (8 - bit % 8);
        u &= mask;
        out[size_t(i)] = is_signed && (u >> (bits - 1)) ? int32_t(u) - int32_t(1u << bits) : int32_t(u);
    }
    return out;
}

BlobWriter::BlobWriter() : buf_(kBlobHeaderBytes, 0) { put_u32(buf_.data() + 4, 2); }

uint64_t BlobWriter::append(DataType t, int64_t numel, std::span<const uint8_t> data) {
    const BlobDataType bt = blob_type_of(t);
    const int bits = blob_bits(bt);
    const uint64_t expect = (uint64_t(numel) * uint64_t(bits) + 7) / 8;
    if (data.size() != expect)
        fail("blob of {} {} values needs {} bytes, got {}", numel, data_type_name(t), expect, data.size());
    const uint64_t meta = (buf_.size() + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment;
    buf_.resize(meta + kBlobMetadataBytes, 0);
    uint8_t* m = buf_.data() + meta;
    put_u32(m, kBlobSentinel);
    put_u32(m + 4, uint32_t(bt));
    put_u64(m + 8, data.size());
    put_u64(m + 16, meta + kBlobMetadataBytes);
    put_u64(m + 24, bits < 8 && (uint64_t(numel) * bits) % 8 ? 8 - (uint64_t(numel) * bits) % 8 : 0);
    buf_.insert(buf_.end(), data.begin(), data.end());
    put_u32(buf_.data(), ++count_);
    return meta;
}

uint64_t BlobWriter::append_fp32(std::span<const float> v) {
    return append(DataType::Float32, int64_t(v.size()), {reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4});
}

uint64_t BlobWriter::append_fp16(std::span<const uint16_t> bits) {
    return append(DataType::Float16, int64_t(bits.size()),
                  {reinterpret_cast<const uint8_t*>(bits.data()), bits.size() * 2});
}

BlobReader::BlobReader(std::span<const uint8_t> file, std::string where) : file_(file), where_(std::move(where)) {
    if (file_.size() < kBlobHeaderBytes) fail("{}: {} bytes, too short for a blob storage header", where_, file_.size());
    count_ = get_u32(file_.data());
    const uint32_t version = get_u32(file_.data() + 4);
    if (version != 2) fail("{}: blob storage version {}, expected 2", where_, version);
}

BlobView BlobReader::at(uint64_t offset) const {
    if (offset % kBlobAlignment != 0) fail("{}: offset {} is not {}-byte aligned", where_, offset, kBlobAlignment);
    if (offset < kBlobHeaderBytes || offset > file_.size() || file_.size() - offset < kBlobMetadataBytes)
        fail("{}: offset {} is outside the blob records (file size {})", where_, offset, file_.size());
    const uint8_t* m = file_.data() + offset;
    const uint32_t sentinel = get_u32(m);
    if (sentinel != kBlobSentinel)
        fail("{}: offset {}: no blob metadata there (sentinel 0x{:08X}, expected 0xDEADBEEF)", where_, offset, sentinel);
    BlobView v;
    const uint32_t dt = get_u32(m + 4);
    v.dtype = BlobDataType(dt);
    if (dt < 1 || dt > 15 || blob_bits(v.dtype) == 0) fail("{}: offset {}: unknown blob data type {}", where_, offset, dt);
    const uint64_t size = get_u64(m + 8);
    v.metadata_offset = offset;
    v.data_offset = get_u64(m + 16);
    v.padding_bits = get_u64(m + 24);
    if (v.data_offset < offset + kBlobMetadataBytes || v.data_offset % kBlobAlignment != 0 ||
        v.data_offset > file_.size() || size > file_.size() - v.data_offset)
        fail("{}: offset {}: data [{}, +{}) is misplaced or runs past the end of the file ({} bytes)", where_, offset,
             v.data_offset, size, file_.size());
    if (v.padding_bits >= 8) fail("{}: offset {}: padding of {} bits", where_, offset, v.padding_bits);
    v.data = file_.subspan(size_t(v.data_offset), size_t(size));
    return v;
}

std::vector<BlobView> BlobReader::all() const {
    std::vector<BlobView> out;
    uint64_t offset = kBlobHeaderBytes;
    for (uint32_t i = 0; i < count_; ++i) {
        out.push_back(at(offset));
        const uint64_t end = out.back().data_offset + out.back().data.size();
        offset = (end + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment;
    }
    return out;
}

}  // namespace vlmq::exporters::coreml
