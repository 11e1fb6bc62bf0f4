// The safetensors header parser (io::parse_safetensors), as SafetensorsFile calls it on a mapped file.
#include <span>

#include "fuzz_util.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    vlmq::fuzz::run_input([&] {
        const auto file = std::as_bytes(std::span(data, size));
        const vlmq::io::SafetensorsHeader h = vlmq::io::parse_safetensors(file, "fuzz.safetensors");
        for (const auto& t : h.tensors) (void)t.numel();
    });
    return 0;
}
