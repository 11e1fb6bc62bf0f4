#pragma once
// MLX's affine quantized storage (mx.quantize, mode "affine"), as written for a quantized Linear or
// Embedding: `weight` uint32 [rows, cols*bits/32] holding each row's b-bit codes as one LSB-first bit
// stream (element j at stream bits [j*b, (j+1)*b), stream bit i = bit i%32 of word i/32; codes may
// straddle words at 3/5/6 bits), plus `scales` and `biases` [rows, cols/group] (fp16 here), with
//   w = scales * q + biases.
// Because the words are little-endian, a row's words are byte for byte vlmq's packed row
// (docs/formats.md §3.1) whenever cols*bits is a multiple of 32.
#include <cstdint>
#include <string>
#include <vector>

#include "core/compute.h"
#include "qformat/qmatrix.h"

namespace vlmq::exporters::mlx {

inline bool mlx_group_size_supported(int g) { return g == 32 || g == 64 || g == 128; }
// Bit widths vlmq writes for MLX: 2, 3, 4, 6, 8 (MLX >= 0.26 also reads 5; vlmq widens it to 6).
inline bool mlx_bits_supported(int b) { return b == 2 || b == 3 || b == 4 || b == 6 || b == 8; }
// The MLX width that holds vlmq's b-bit codes unchanged: 5 -> 6, 7 -> 8, others as they are.
inline int mlx_bits_for(int vlmq_bits) { return vlmq_bits == 5 ? 6 : vlmq_bits == 7 ? 8 : vlmq_bits; }

struct AffineMatrix {
    int64_t rows = 0, cols = 0;
    int bits = 0, group_size = 0;
    std::vector<uint32_t> words;            // [rows][words_per_row()]
    std::vector<uint16_t> scales, biases;   // fp16 bits, [rows][groups_per_row()]

    AffineMatrix() = default;
    AffineMatrix(int64_t rows, int64_t cols, int bits, int group_size);  // zero-filled; asserts the shape fits
    int64_t words_per_row() const { return cols * bits / 32; }
    int64_t groups_per_row() const { return cols / group_size; }
};

// Exact re-encoding of a vlmq Int matrix: codes kept (widened to `bits` >= the vlmq width), every vlmq
// group split into MLX groups of `group_size` (which must divide the vlmq group) sharing its scale, and
// symmetric offsets folded into the bias (biases = -scale * 2^(b-1), exact in fp16 unless it overflows).
// Returns false (and says why in *why) when a bias overflows fp16; `out` is then unspecified.
bool affine_from_vlmq(const Compute& c, const qformat::QMatrix& m, int bits, int group_size,
                      AffineMatrix& out, std::string* why);

// MLX's affine round-to-nearest on fp32 rows [rows, cols] (the parameter rule of mx.quantize,
// mlx/backend/cpu/quantized.cpp): per group, scale = ±max((max-min)/(2^b-1), 1e-7) signed towards the
// larger-magnitude end `edge`; q0 = rint(edge/scale); if q0 != 0, scale = edge/q0 and bias = edge, else
// bias = 0. Scale and bias are stored as fp16 and the codes are chosen against the stored values
// (clamp(rne((w - bias)/scale), 0, 2^b-1)), which is never worse than MLX's choice against the fp32 ones.
// Rounding edge/scale keeps zero exact but may shrink the grid so the far end is clipped: the error is
// at most |scale|*(1 + 2^(1-b)) plus the fp16 rounding of the parameters (half a step inside the grid).
// Fails (vlmq::Error "row R, group G: ...") on non-finite weights or parameters outside the fp16 range.
AffineMatrix affine_quantize_rtn(const Compute& c, const float* w, int64_t rows, int64_t cols, int bits,
                                 int group_size);

// Row r back to fp32: w = scale * q + bias, evaluated in fp32 (scale*q is exact, so this equals fma).
void affine_dequantize_row(const AffineMatrix& a, int64_t r, float* out);

}  // namespace vlmq::exporters::mlx
