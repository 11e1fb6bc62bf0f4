#pragma once
// The dataset targets: the input's NUL-separated parts become the named files of a dataset folder, which
// load_dataset reads as `eval --data DIR` does (images not checked: no image files exist), then a subset.
#include <string>
#include <vector>

#include "eval/dataset.h"
#include "fuzz_util.h"

namespace vlmq::fuzz {

inline void fuzz_dataset(const uint8_t* data, size_t size, const std::vector<std::string>& files,
                         eval::DatasetFormat format) {
    Scratch& scratch = Scratch::get();
    scratch.reset();
    const auto parts = split_parts(as_text(data, size), files.size());
    // An empty part leaves its file out (a set without answers, or without questions).
    for (size_t i = 0; i < files.size(); ++i)
        if (!parts[i].empty()) scratch.write(files[i], parts[i]);
    run_input([&] {
        eval::DatasetSpec spec;
        spec.path = scratch.dir();
        spec.format = format;
        spec.check_images = false;
        spec.require_questions = false;
        const eval::VqaDataset d = eval::load_dataset(spec);
        (void)eval::select_samples(d, 3, 7);
    });
}

}  // namespace vlmq::fuzz
