#include "pipeline/calibrate.h"

#include <algorithm>

#include "calib/stats_exchange.h"
#include "core/distributed.h"
#include "core/progress.h"
#include "eval/prepared.h"
#include "image/image.h"

namespace vlmq::pipeline {

namespace {

std::unique_ptr<calib::CalibrationStats> run_block(const model::FastVLM& model, const eval::VqaDataset& samples,
                                                   size_t begin, size_t end, const Compute& c,
                                                   const calib::CollectOptions& options, CalibrationImages images,
                                                   Progress& bar, int64_t running) {
    auto stats = std::make_unique<calib::CalibrationStats>(options, &c);
    model::ForwardHooks hooks;
    hooks.observe_input = [&](const std::string& name, const float* x, int64_t M, int64_t K, int64_t ldx) {
        stats->observe(name, x, M, K, ldx);
    };
    for (size_t i = begin; i < end; ++i) {
        const eval::VqaSample& s = samples.samples[i];
        image::Image img = image::load_image(s.image);
        if (images == CalibrationImages::Blank) std::fill(img.rgb.begin(), img.rgb.end(), uint8_t(0));
        const std::vector<float> pixels = model.preprocess(img);
        const std::vector<int64_t> prompt = model.tokenize_question(eval::vqa_user_message(s.question));
        const std::string answer = eval::majority_answer(s.answers);
        const std::vector<int32_t> answer_ids = answer.empty() ? std::vector<int32_t>() : model.tokenizer().encode(answer);
        model.answer_logits(c, pixels.data(), prompt, answer_ids, &hooks);
        stats->samples += 1;
        bar.advance(running);  // the root's bar counts the blocks running with it, one sample each
    }
    return stats;
}

}  // namespace

std::unique_ptr<calib::CalibrationStats> collect_stats(const model::FastVLM& model, const eval::VqaDataset& samples,
                                                const Compute& c, const calib::CollectOptions& options,
                                                bool progress, CalibrationImages images) {
    const int64_t n = int64_t(samples.samples.size());
    const int64_t blocks = (n + kCalibrationBlock - 1) / kCalibrationBlock;
    const int ranks = dist::size(), me = dist::rank();
    std::unique_ptr<calib::CalibrationStats> total;
    Progress bar("calibrate", n, "samples", progress && dist::is_root());
    // Round r runs blocks r*ranks .. r*ranks + ranks - 1, one per rank; the root merges them in block order.
    for (int64_t first = 0; first < blocks; first += ranks) {
        const int64_t mine = first + me;
        std::unique_ptr<calib::CalibrationStats> part;
        if (mine < blocks)
            part = run_block(model, samples, size_t(mine * kCalibrationBlock),
                             size_t(std::min(n, (mine + 1) * kCalibrationBlock)), c, options, images, bar,
                             std::min<int64_t>(ranks, blocks - first));
        if (!dist::is_root()) {
            if (part) calib::send_stats(0, *part);
            continue;
        }
        for (int r = 0; r < ranks && first + r < blocks; ++r) {
            if (r == 0 && !total) {
                total = std::move(part);  // 0 + x == x: the first block is the running total
            } else if (r == 0) {
                total->merge(std::move(*part));
            } else {
                calib::receive_and_merge(r, *total);
            }
        }
    }
    if (!total && dist::is_root()) total = std::make_unique<calib::CalibrationStats>(options, &c);
    total = calib::broadcast_stats(std::move(total));
    total->provenance["dataset"] = samples.name;
    total->provenance["samples"] = total->samples;
    total->provenance["images"] = images == CalibrationImages::Blank ? "blank" : "dataset";
    return total;
}

}  // namespace vlmq::pipeline
