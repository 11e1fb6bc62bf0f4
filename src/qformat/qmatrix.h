#pragma once
// Non-owning views of a weight matrix stored in some Format, as read by kernels and written by
// rounding algorithms. Pointers may be unaligned (they point into mapped safetensors files).
#include <cstdint>
#include <vector>

#include "qformat/format_traits.h"

namespace vlmq::qformat {

struct QMatrix {
    Format fmt;
    int64_t rows = 0, cols = 0;
    const void* data = nullptr;        // codes (Int) or elements (floats), row-major, layout_of().row_bytes per row
    const uint16_t* scales = nullptr;  // Int: fp16 bits, [rows][groups_per_row]
    const uint16_t* biases = nullptr;  // Int affine: fp16 bits, [rows][groups_per_row]

    Layout layout() const { return layout_of(fmt, rows, cols); }
    const uint8_t* row_data(int64_t r) const {
        return static_cast<const uint8_t*>(data) + r * row_bytes_of(fmt, cols);
    }
};

struct QMatrixMut {
    Format fmt;
    int64_t rows = 0, cols = 0;
    void* data = nullptr;
    uint16_t* scales = nullptr;
    uint16_t* biases = nullptr;

    Layout layout() const { return layout_of(fmt, rows, cols); }
    QMatrix view() const { return {fmt, rows, cols, data, scales, biases}; }
};

// Owning storage for one quantized matrix (tests, in-memory quantization, calibration trials).
struct QMatrixBuffer {
    Format fmt;
    int64_t rows = 0, cols = 0;
    std::vector<uint8_t> data;
    std::vector<uint16_t> scales, biases;

    QMatrixBuffer() = default;
    QMatrixBuffer(const Format& f, int64_t rows, int64_t cols);
    QMatrix view() const;
    QMatrixMut mut();
};

// Reference (scalar) element access: writes row r as fp32.
void dequantize_row_ref(const QMatrix& m, int64_t r, float* out);

// Bit-stream packing of b-bit codes (scalar reference; see format.h for the layout).
void pack_codes_ref(const uint8_t* codes, int64_t n, int bits, uint8_t* out);
void unpack_codes_ref(const uint8_t* packed, int64_t n, int bits, uint8_t* codes);

}  // namespace vlmq::qformat
