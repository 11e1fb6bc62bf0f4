// tokenizer.json (Tokenizer::load, as the engine loads it beside a model), then encode + decode of a text.
// Input: tokenizer.json NUL text.
#include "fuzz_util.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace vlmq;
    const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 2);
    const auto path = fuzz::Scratch::get().write("tokenizer.json", parts[0]);
    fuzz::run_input([&] {
        const text::Tokenizer tok = text::Tokenizer::load(path);
        const std::vector<int32_t> ids = tok.encode(parts[1]);
        (void)tok.decode(ids, false);
        (void)tok.decode(ids, true);
        for (int32_t id : ids) (void)tok.is_special(id);
    });
    return 0;
}
