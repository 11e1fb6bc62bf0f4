#include "image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace vlmq::image {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // 8 bits of value, 2 bits of headroom for overshoot
constexpr double kBicubicSupport = 2.0;

double bicubic(double x) {
    constexpr double a = -0.5;
    x = std::fabs(x);
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

// For each output index: the first input index and the fixed-point weights of the inputs it reads.
struct Taps {
    int ksize = 0;
    std::vector<int> first, count;
    std::vector<int32_t> weights;  // out_size x ksize
};

// Mirrors Pillow's precompute_coeffs + normalize_coeffs_8bpc (double arithmetic in the same order,
// rounding half away from zero to fixed point).
Taps make_taps(int in_size, int out_size) {
    const double scale = double(in_size) / out_size;
    const double filter_scale = std::max(scale, 1.0);
    const double support = kBicubicSupport * filter_scale;
    Taps t;
    t.ksize = int(std::ceil(support)) * 2 + 1;
    t.first.resize(size_t(out_size));
    t.count.resize(size_t(out_size));
    t.weights.assign(size_t(out_size) * size_t(t.ksize), 0);
    std::vector<double> w(static_cast<size_t>(t.ksize));
    for (int o = 0; o < out_size; ++o) {
        const double center = (o + 0.5) * scale;
        const double inv = 1.0 / filter_scale;
        const int lo = std::max(int(center - support + 0.5), 0);
        const int hi = std::min(int(center + support + 0.5), in_size);
        const int n = hi - lo;
        double sum = 0.0;
        for (int x = 0; x < n; ++x) {
            w[size_t(x)] = bicubic((x + lo - center + 0.5) * inv);
            sum += w[size_t(x)];
        }
        int32_t* k = &t.weights[size_t(o) * size_t(t.ksize)];
        for (int x = 0; x < n; ++x) {
            const double v = sum != 0.0 ? w[size_t(x)] / sum : w[size_t(x)];
            k[x] = int32_t(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
        }
        t.first[size_t(o)] = lo;
        t.count[size_t(o)] = n;
    }
    return t;
}

uint8_t clip8(int32_t acc) {
    const int32_t v = acc >> kPrecisionBits;  // arithmetic shift: floor
    return uint8_t(std::clamp(v, 0, 255));
}

// Rows [row0, row0 + out.height) of `in` resampled horizontally into `out`.
void resample_rows(const Image& in, int row0, const Taps& t, Image& out) {
    for (int y = 0; y < out.height; ++y) {
        const uint8_t* src = &in.rgb[size_t(y + row0) * size_t(in.width) * 3];
        uint8_t* dst = &out.rgb[size_t(y) * size_t(out.width) * 3];
        for (int x = 0; x < out.width; ++x) {
            const int32_t* k = &t.weights[size_t(x) * size_t(t.ksize)];
            const uint8_t* p = src + size_t(t.first[size_t(x)]) * 3;
            int32_t r = 1 << (kPrecisionBits - 1), g = r, b = r;
            for (int i = 0; i < t.count[size_t(x)]; ++i, p += 3) {
                r += p[0] * k[i];
                g += p[1] * k[i];
                b += p[2] * k[i];
            }
            dst[3 * x] = clip8(r);
            dst[3 * x + 1] = clip8(g);
            dst[3 * x + 2] = clip8(b);
        }
    }
}

// Vertical pass; `row_shift` is subtracted from the taps' first rows (the horizontal pass only
// produced the rows the vertical taps read).
void resample_columns(const Image& in, const Taps& t, int row_shift, Image& out) {
    const size_t stride = size_t(in.width) * 3;
    for (int y = 0; y < out.height; ++y) {
        const int32_t* k = &t.weights[size_t(y) * size_t(t.ksize)];
        const uint8_t* src = &in.rgb[size_t(t.first[size_t(y)] - row_shift) * stride];
        uint8_t* dst = &out.rgb[size_t(y) * stride];
        for (size_t c = 0; c < stride; ++c) {
            int32_t acc = 1 << (kPrecisionBits - 1);
            for (int i = 0; i < t.count[size_t(y)]; ++i) acc += src[size_t(i) * stride + c] * k[i];
            dst[c] = clip8(acc);
        }
    }
}

void check_image(const Image& img, const char* what) {
    if (img.width <= 0 || img.height <= 0 || img.rgb.size() != size_t(img.width) * size_t(img.height) * 3)
        fail("{}: invalid image ({}x{} with {} bytes)", what, img.width, img.height, img.rgb.size());
}

}  // namespace

Image pad_to_square(const Image& img) {
    check_image(img, "pad_to_square");
    if (img.width == img.height) return img;
    Image out;
    out.width = out.height = std::max(img.width, img.height);
    out.rgb.assign(size_t(out.width) * size_t(out.height) * 3, 0);
    const int x0 = (out.width - img.width) / 2, y0 = (out.height - img.height) / 2;
    const size_t row = size_t(img.width) * 3;
    for (int y = 0; y < img.height; ++y)
        std::memcpy(&out.rgb[(size_t(y + y0) * size_t(out.width) + size_t(x0)) * 3], &img.rgb[size_t(y) * row], row);
    return out;
}

Image resize_bicubic(const Image& img, int width, int height) {
    check_image(img, "resize_bicubic");
    if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide)
        fail("resize_bicubic: invalid output size {}x{}", width, height);
    if (width == img.width && height == img.height) return img;  // PIL returns a copy

    const Taps vertical = make_taps(img.height, height);
    const Image* src = &img;
    Image horizontal;
    int row_shift = 0;
    if (width != img.width) {
        // Only the source rows that the vertical pass reads.
        const int first = vertical.first.front();
        const int last = vertical.first.back() + vertical.count.back();
        horizontal.width = width;
        horizontal.height = last - first;
        horizontal.rgb.resize(size_t(width) * size_t(horizontal.height) * 3);
        resample_rows(img, first, make_taps(img.width, width), horizontal);
        src = &horizontal;
        row_shift = first;
    }
    if (height == img.height) return horizontal;
    Image out;
    out.width = width;
    out.height = height;
    out.rgb.resize(size_t(width) * size_t(height) * 3);
    resample_columns(*src, vertical, row_shift, out);
    return out;
}

std::vector<float> preprocess(const Image& img, int size) {
    if (size <= 0 || size > kMaxImageSide) fail("preprocess: invalid image size {}", size);
    Image square = pad_to_square(img);
    if (square.width != size) square = resize_bicubic(square, size, size);
    const size_t plane = size_t(size) * size_t(size);
    std::vector<float> chw(3 * plane);
    // As the reference's rescale: uint8 -> float64, times 1/255, then rounded to float32.
    constexpr double kScale = 1.0 / 255.0;
    for (size_t i = 0; i < plane; ++i)
        for (size_t c = 0; c < 3; ++c) chw[c * plane + i] = float(double(square.rgb[i * 3 + c]) * kScale);
    return chw;
}

}  // namespace vlmq::image
