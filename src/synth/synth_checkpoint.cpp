#include "synth/synth_checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/half.h"
#include "core/progress.h"
#include "core/shape.h"
#include "core/staging.h"
#include "io/output_kinds.h"
#include "synth/synth_tokenizer.h"
#include "synth/synth_weights.h"

namespace vlmq::synth {

namespace {

void write_tensor(io::SafetensorsWriter& w, const io::TensorDecl& t, uint64_t seed, ThreadPool* pool) {
    if (t.dtype == DType::I64) {  // BatchNorm num_batches_tracked counters
        const int64_t v = 100000;
        std::vector<std::byte> b(8);
        std::memcpy(b.data(), &v, 8);
        w.write(t.name, b);
        return;
    }
    const WeightGenerator gen(t, seed);
    const int64_t rows = gen.rows_total(), cols = gen.cols();
    const int64_t chunk_rows = std::max<int64_t>(1, (8 << 20) / std::max<int64_t>(1, cols));
    std::vector<uint16_t> buf(size_t(std::min(rows, chunk_rows) * cols));
    for (int64_t r0 = 0; r0 < rows; r0 += chunk_rows) {
        const int64_t nr = std::min(chunk_rows, rows - r0);
        parallel_for(pool, nr, 16, [&](int64_t a, int64_t b) {
            std::vector<float> tmp(static_cast<size_t>(cols));
            for (int64_t r = a; r < b; ++r) {
                gen.rows(r0 + r, 1, tmp.data());
                for (int64_t c = 0; c < cols; ++c) buf[size_t(r * cols + c)] = f32_to_bf16(tmp[size_t(c)]);
            }
        });
        w.write_chunk(t.name, uint64_t(r0 * cols) * 2,
                      std::as_bytes(std::span(buf.data(), size_t(nr * cols))));
    }
}

}  // namespace

SynthResult write_synthetic_checkpoint(const FastVlmSpec& spec, const std::filesystem::path& out, uint64_t seed,
                                       ThreadPool* pool, bool progress, uint64_t max_shard_bytes, bool force) {
    const std::vector<io::TensorDecl> tensors = fastvlm_tensors(spec);
    SynthResult result;
    result.tensors = int64_t(tensors.size());

    // Assign tensors to shards in order.
    std::vector<std::vector<io::TensorDecl>> shards(1);
    uint64_t shard_bytes = 0, total = 0;
    for (const auto& t : tensors) {
        const uint64_t b = uint64_t(numel(t.shape)) * dtype_size(t.dtype);
        if (shard_bytes > 0 && shard_bytes + b > max_shard_bytes) {
            shards.emplace_back();
            shard_bytes = 0;
        }
        shards.back().push_back(t);
        shard_bytes += b;
        total += b;
        if (dtype_is_float(t.dtype)) result.parameters += numel(t.shape);
    }
    result.shards = int(shards.size());

    StagedOutput stage(out, io::checkpoint_output_kind(), force);
    Progress bar("synth", int64_t(total >> 20), "MB", progress);
    json index_map = json::object();
    uint64_t done = 0;
    for (size_t s = 0; s < shards.size(); ++s) {
        const std::string file = shards.size() == 1
                                     ? "model.safetensors"
                                     : fmt::format("model-{:05}-of-{:05}.safetensors", s + 1, shards.size());
        io::SafetensorsWriter w(stage.path() / file, shards[s], {{"format", "pt"}});
        for (const auto& t : shards[s]) {
            write_tensor(w, t, seed, pool);
            done += uint64_t(numel(t.shape)) * dtype_size(t.dtype);
            bar.set(int64_t(done >> 20));
            index_map[t.name] = file;
        }
        w.finish();
        result.bytes += w.file_size();
    }
    bar.finish();
    if (shards.size() > 1) {
        json index = {{"metadata", {{"total_size", total}}}, {"weight_map", index_map}};
        write_file_atomic(stage.path() / "model.safetensors.index.json", index.dump(2) + "\n");
    }
    write_file_atomic(stage.path() / "config.json", json_dump(fastvlm_config(spec)));
    write_file_atomic(stage.path() / "tokenizer.json", synthetic_tokenizer_json(spec.tokenizer_size));
    write_file_atomic(stage.path() / "tokenizer_config.json", synthetic_tokenizer_config_json(spec.tokenizer_size));
    ordered_json gen;
    gen["eos_token_id"] = spec.llm.eos_token_ids.front();
    gen["pad_token_id"] = spec.tokenizer_size - 3;
    gen["do_sample"] = false;
    write_file_atomic(stage.path() / "generation_config.json", json_dump(gen));
    stage.commit();
    return result;
}

}  // namespace vlmq::synth
