// A .vlmq package: manifest.json, config.json and one shard, opened with package::open_source (as inspect,
// dequantize, run and the exporters open a package), then every tensor read back as dequantize does.
// Input: manifest.json NUL config.json NUL model.safetensors. Hashes are not checked (a mutated shard would
// only ever fail them); the structure checks run as with --no-verify.
#include "core/compute.h"
#include "core/thread_pool.h"
#include "fuzz_util.h"
#include "package/source.h"
#include "qformat/dequant.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace vlmq;
    static ThreadPool pool(1);
    Compute c;
    c.pool = &pool;
    fuzz::Scratch& scratch = fuzz::Scratch::get();
    scratch.reset();
    const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 3);
    scratch.write("manifest.json", parts[0]);
    scratch.write("config.json", parts[1]);
    scratch.write("model.safetensors", parts[2]);
    fuzz::run_input([&] {
        const package::Source src = package::open_source(scratch.dir(), {.hashes = package::HashCheck::Skip, .cache_file = {}});
        for (const auto& t : src.tensors) {
            if (t.keep) {
                (void)src.raw(t.name);
                continue;
            }
            const package::Weight w = src.weights->get(t.name);
            std::vector<float> rows(static_cast<size_t>(w.numel()));
            qformat::dequantize_rows(c, w.mat, 0, w.mat.rows, rows.data());
        }
    });
    return 0;
}
