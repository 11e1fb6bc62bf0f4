// A COCO-QA folder. Input: questions.txt NUL answers.txt NUL img_ids.txt NUL types.txt.
#include "fuzz_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    vlmq::fuzz::fuzz_dataset(data, size, {"questions.txt", "answers.txt", "img_ids.txt", "types.txt"},
                             vlmq::eval::DatasetFormat::cocoqa);
    return 0;
}
