#pragma once
// FastVLM image preprocessing, matching the reference (llava/mm_utils.py process_images with
// image_aspect_ratio "pad", then CLIPImageProcessor with mean 0 / std 1):
//   pad to a square with black, centred -> PIL bicubic resize to size x size (uint8) -> x/255 -> CHW.
#include <vector>

#include "image/image.h"

namespace vlmq::image {

// expand2square: side max(w, h), black fill, image offset floor((long - short) / 2) on the short axis.
Image pad_to_square(const Image& img);

// PIL's Image.resize(..., BICUBIC) on 8-bit RGB, bit for bit: a = -0.5 cubic, support widened by the
// scale factor when shrinking (antialiasing), normalized coefficients in 22-bit fixed point,
// horizontal pass first (rounded and clipped to uint8), then vertical.
Image resize_bicubic(const Image& img, int width, int height);

// [3, size, size] floats in [0, 1], planar RGB.
std::vector<float> preprocess(const Image& img, int size);

}  // namespace vlmq::image
