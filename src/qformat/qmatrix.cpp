#include "qformat/qmatrix.h"

#include <cmath>
#include <cstring>

#include "core/half.h"
#include "qformat/dequant.h"

namespace vlmq::qformat {

QMatrixBuffer::QMatrixBuffer(const Format& f, int64_t r, int64_t c) : fmt(f), rows(r), cols(c) {
    const Layout l = layout_of(f, r, c);
    data.resize(size_t(l.code_bytes()));
    if (f.is_int()) {
        scales.resize(size_t(l.scale_count()));
        if (!f.symmetric) biases.resize(size_t(l.scale_count()));
    }
}

QMatrix QMatrixBuffer::view() const {
    return {fmt, rows, cols, data.data(), scales.empty() ? nullptr : scales.data(),
            biases.empty() ? nullptr : biases.data()};
}

QMatrixMut QMatrixBuffer::mut() {
    return {fmt, rows, cols, data.data(), scales.empty() ? nullptr : scales.data(),
            biases.empty() ? nullptr : biases.data()};
}

void pack_codes_ref(const uint8_t* codes, int64_t n, int bits, uint8_t* out) {
    const int64_t nbytes = (n * bits + 7) / 8;
    std::memset(out, 0, size_t(nbytes));
    for (int64_t j = 0; j < n; ++j) {
        const int64_t bit = j * bits;
        const uint32_t v = uint32_t(codes[j]) << (bit % 8);
        out[bit / 8] |= uint8_t(v & 0xff);
        if ((bit % 8) + bits > 8) out[bit / 8 + 1] |= uint8_t(v >> 8);
    }
}

void unpack_codes_ref(const uint8_t* packed, int64_t n, int bits, uint8_t* codes) {
    const uint32_t mask = (1u << bits) - 1;
    for (int64_t j = 0; j < n; ++j) {
        const int64_t bit = j * bits;
        uint32_t v = packed[bit / 8];
        if ((bit % 8) + bits > 8) v |= uint32_t(packed[bit / 8 + 1]) << 8;
        codes[j] = uint8_t((v >> (bit % 8)) & mask);
    }
}

void dequantize_row_ref(const QMatrix& m, int64_t r, float* out) {
    const Layout l = m.layout();
    const uint8_t* row = static_cast<const uint8_t*>(m.data) + r * l.row_bytes;
    if (traits_of(m.fmt).storage == Storage::Elements) return detail::convert_to_f32_ref(row, stored_dtype(m.fmt), m.cols, out);
    std::vector<uint8_t> codes(static_cast<size_t>(m.cols));
    unpack_codes_ref(row, m.cols, m.fmt.bits, codes.data());
    const float offset = m.fmt.symmetric ? float(1 << (m.fmt.bits - 1)) : 0.0f;
    for (int64_t g = 0; g < l.groups_per_row; ++g) {
        uint16_t sh, bh = 0;
        std::memcpy(&sh, m.scales + r * l.groups_per_row + g, 2);
        if (!m.fmt.symmetric) std::memcpy(&bh, m.biases + r * l.groups_per_row + g, 2);
        const float s = f16_to_f32(sh);
        const float b = m.fmt.symmetric ? 0.0f : f16_to_f32(bh);
        for (int64_t j = g * l.group; j < (g + 1) * l.group; ++j)
            out[j] = m.fmt.symmetric ? s * (float(codes[size_t(j)]) - offset) : std::fma(s, float(codes[size_t(j)]), b);
    }
}

}  // namespace vlmq::qformat
