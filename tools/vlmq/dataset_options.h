#pragma once
// Command-line options that describe a VQA dataset (docs/eval.md): a path plus optional explicit files.
#include <string>
#include <vector>

#include "commands.h"
#include "core/output_guard.h"
#include "eval/dataset.h"

namespace vlmq::cli {

struct DatasetOptions {
    std::string path, questions, annotations, images, image_pattern, format = "auto";
    bool allow_outside_data = false;

    // Registers --<prefix>data (or the given main flag) and the detail flags with the prefix.
    void add(CLI::App* cmd, const std::string& main_flag, const std::string& prefix, const std::string& what);
    bool given() const { return !path.empty() || !questions.empty(); }
    eval::DatasetSpec spec() const;
    // The paths given, as inputs that no output may overwrite.
    void add_inputs(std::vector<InputPath>& inputs) const;

private:
    std::string main_flag_, prefix_;
};

inline void DatasetOptions::add(CLI::App* cmd, const std::string& main_flag, const std::string& prefix,
                                const std::string& what) {
    main_flag_ = main_flag;
    prefix_ = prefix;
    cmd->add_option(main_flag, path, what + ": a dataset folder, a LLaVA questions .jsonl or a VQAv2 questions .json");
    cmd->add_option("--" + prefix + "questions", questions, what + ": explicit questions file");
    cmd->add_option("--" + prefix + "annotations", annotations, what + ": VQAv2 annotations or LLaVA answers file");
    cmd->add_option("--" + prefix + "images", images, what + ": image folder");
    cmd->add_option("--" + prefix + "image-pattern", image_pattern,
                    what + ": image file name pattern, e.g. COCO_val2014_{image_id:012d}.jpg");
    cmd->add_flag("--" + prefix + "allow-outside-data", allow_outside_data,
                  what + ": allow image paths that resolve outside the image folder (.., absolute, symlinks)");
    cmd->add_option("--" + prefix + "format", format, what + ": auto | llava | vqav2 | cocoqa")
        ->check(CLI::IsMember({"auto", "llava", "vqav2", "cocoqa"}));
}

inline void DatasetOptions::add_inputs(std::vector<InputPath>& inputs) const {
    inputs.push_back({main_flag_, path});
    inputs.push_back({"--" + prefix_ + "questions", questions});
    inputs.push_back({"--" + prefix_ + "annotations", annotations});
    inputs.push_back({"--" + prefix_ + "images", images});
}

inline eval::DatasetSpec DatasetOptions::spec() const {
    eval::DatasetSpec s;
    s.path = path;
    s.questions = questions;
    s.annotations = annotations;
    s.images = images;
    s.image_pattern = image_pattern;
    s.allow_outside_data = allow_outside_data;
    s.format = eval::parse_dataset_format(format, "--format");
    return s;
}

}  // namespace vlmq::cli
