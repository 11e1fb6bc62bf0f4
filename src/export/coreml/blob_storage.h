#pragma once
// Core ML's MIL blob storage file (weights/weight.bin), version 2, little-endian:
//   storage header (64 bytes): u32 count, u32 version = 2, 56 reserved zero bytes;
//   per blob, starting on a 64-byte boundary: metadata (64 bytes): u32 sentinel 0xDEADBEEF, u32 data type,
//   u64 size in bytes, u64 data offset (absolute, = metadata offset + 64), u64 padding bits (sub-byte types:
//   unused bits in the last byte), 32 reserved zero bytes; then the data. Zero bytes pad up to the next
//   metadata; the file ends right after the last blob's data.
// A const in model.mlmodel refers to a blob by the offset of its metadata record.
// Sub-byte types (int4, uint4, uint3, ...) are packed LSB-first over the whole tensor, row-major, with no
// per-row padding.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "export/coreml/mil_ir.h"

namespace vlmq::exporters::coreml {

enum class BlobDataType : uint32_t {
    Float16 = 1,
    Float32 = 2,
    UInt8 = 3,
    Int8 = 4,
    BFloat16 = 5,
    Int16 = 6,
    UInt16 = 7,
    Int4 = 8,
    UInt1 = 9,
    UInt2 = 10,
    UInt4 = 11,
    UInt3 = 12,
    UInt6 = 13,
    Int32 = 14,
    UInt32 = 15,
};

inline constexpr uint32_t kBlobSentinel = 0xDEADBEEF;
inline constexpr uint64_t kBlobAlignment = 64;
inline constexpr uint64_t kBlobHeaderBytes = 64;
inline constexpr uint64_t kBlobMetadataBytes = 64;

// The blob type that stores a MIL tensor element type; fails for types with no blob encoding.
BlobDataType blob_type_of(DataType t);

// Packs integer values (each in the type's range) LSB-first into ceil(n * bits / 8) bytes.
std::vector<uint8_t> pack_subbyte(std::span<const int32_t> values, int bits);
// Inverse of pack_subbyte; signed types sign-extend.
std::vector<int32_t> unpack_subbyte(std::span<const uint8_t> bytes, int64_t n, int bits, bool is_signed);

class BlobWriter {
public:
    BlobWriter();
    // Appends one blob of `numel` elements of type t; returns the offset of its metadata record.
    uint64_t append(DataType t, int64_t numel, std::span<const uint8_t> data);
    uint64_t append_fp32(std::span<const float> v);
    uint64_t append_fp16(std::span<const uint16_t> bits);

    const std::vector<uint8_t>& bytes() const { return buf_; }
    uint32_t count() const { return count_; }

private:
    std::vector<uint8_t> buf_;
    uint32_t count_ = 0;
};

struct BlobView {
    BlobDataType dtype = BlobDataType::Float32;
    uint64_t metadata_offset = 0, data_offset = 0, padding_bits = 0;
    std::span<const uint8_t> data;
};

// Validating reader over a whole weight.bin image (which must outlive it).
class BlobReader {
public:
    BlobReader(std::span<const uint8_t> file, std::string where);
    uint32_t count() const { return count_; }
    // The blob whose metadata record starts at `offset`; fails ("<where>: offset N: ...") when there is no
    // valid record there or its data runs past the end of the file.
    BlobView at(uint64_t offset) const;
    // Every blob in file order (walks the records; used by tests and `inspect`-style checks).
    std::vector<BlobView> all() const;

private:
    std::span<const uint8_t> file_;
    std::string where_;
    uint32_t count_ = 0;
};

}  // namespace vlmq::exporters::coreml
