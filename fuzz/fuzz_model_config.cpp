// A checkpoint's config.json -> the architecture table and the model config structs, and what the engine
// derives from them before loading any weight (the tower's tensor table, token count, cost).
#include "arch/arch_table.h"
#include "core/json_util.h"
#include "fuzz_util.h"
#include "model/qwen2_config.h"
#include "model/vision_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace vlmq;
    auto& scratch = fuzz::Scratch::get();
    const auto path = scratch.write("config.json", fuzz::as_text(data, size));
    fuzz::run_input([&] {
        const json config = read_json_file(path);
        const std::string where = path.string();
        (void)arch::arch_table_for_config(config, where);
        const model::Qwen2Config llm = model::Qwen2Config::from_json(config, where);
        (void)llm.kv_dim();
        const model::VisionConfig vision = model::VisionConfig::from_model_config(config, where);
        (void)vision.tokens();
        (void)vision.macs();
        (void)vision.to_json().dump();
        (void)model::network_layout(vision);
        (void)model::vision_tensors(vision, true);
    });
    return 0;
}
