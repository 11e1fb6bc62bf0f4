// A VQAv2-layout dataset folder. Input: vqa_questions.json NUL vqa_annotations.json.
#include "fuzz_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    vlmq::fuzz::fuzz_dataset(data, size, {"vqa_questions.json", "vqa_annotations.json"},
                             vlmq::eval::DatasetFormat::vqav2);
    return 0;
}
