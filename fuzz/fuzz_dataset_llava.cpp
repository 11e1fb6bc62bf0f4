// A LLaVA-layout dataset folder. Input: questions.jsonl NUL answers.jsonl.
#include "fuzz_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    vlmq::fuzz::fuzz_dataset(data, size, {"questions.jsonl", "answers.jsonl"}, vlmq::eval::DatasetFormat::llava);
    return 0;
}
