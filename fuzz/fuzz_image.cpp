// Image decoding (image::decode_image, what load_image runs on the file's bytes) and FastVLM's preprocessing
// (pad to a square, PIL bicubic resize, planar floats) at a small size.
#include <span>

#include "fuzz_util.h"
#include "image/image.h"
#include "image/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace vlmq;
    fuzz::run_input([&] {
        const image::Image img = image::decode_image(std::as_bytes(std::span(data, size)), "fuzz.img");
        (void)image::preprocess(img, 32);
    });
    return 0;
}
