// `vlmq forward`: one forward pass over image + prompt, writing every intermediate tensor (the golden-file
// names) to a safetensors file for comparison with the reference.
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <memory>

#include "cli_common.h"
#include "cmd_run_input.h"
#include "commands.h"
#include "core/staging.h"
#include "io/output_kinds.h"
#include "io/safetensors.h"

namespace vlmq::cli {

namespace {

struct ForwardOptions {
    RunInput input;
    std::string dump;
    bool force = false;
};

OutputKind dump_kind() { return io::safetensors_output_kind("a forward dump", "vlmq-forward"); }

template <class T>
io::OwnedTensor owned(const std::string& name, DType dtype, std::vector<int64_t> shape, const T* data, size_t n) {
    io::OwnedTensor t;
    t.decl = {name, dtype, std::move(shape)};
    t.bytes.resize(n * sizeof(T));
    std::memcpy(t.bytes.data(), data, t.bytes.size());
    return t;
}

void run(const ForwardOptions& o, const GlobalOptions& global) {
    check_output(o.dump, dump_kind(), {{"--model", o.input.model}, {"--image", o.input.image}}, o.force, "--dump");
    const image::Image img = o.input.check_and_load_image();
    ComputeContext ctx = make_compute(global);
    const model::FastVLM m(o.input.model, verify_options(global));
    const std::vector<int64_t> ids = o.input.prompt_ids(m);
    const std::vector<float> pixels = m.preprocess(img);

    std::map<std::string, io::OwnedTensor> taps;
    model::ForwardHooks hooks;
    hooks.tap = [&](const std::string& name, const std::vector<int64_t>& shape, const float* data) {
        size_t n = 1;
        for (int64_t d : shape) n *= size_t(d);
        taps[name] = owned(name, DType::F32, shape, data, n);
    };
    m.forward(ctx.compute, pixels.data(), ids, &hooks);

    std::vector<io::OwnedTensor> tensors;
    for (auto& [name, t] : taps) tensors.push_back(std::move(t));
    tensors.push_back(owned("input_ids", DType::I64, {int64_t(ids.size())}, ids.data(), ids.size()));
    const int64_t s = m.image_size();
    tensors.push_back(owned("pixel_values", DType::F32, {3, s, s}, pixels.data(), pixels.size()));
    StagedOutput staged(o.dump, dump_kind(), o.force);
    io::write_safetensors(staged.path(), tensors,
                          {{"format", "vlmq-forward"}, {"model", o.input.model}, {"image", o.input.image}});
    staged.commit();
    fmt::print("wrote {} tensors to {}\n", tensors.size(), o.dump);
}

}  // namespace

void add_forward_command(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<ForwardOptions>();
    auto* cmd = app.add_subcommand("forward", "Run one forward pass and dump every intermediate tensor");
    opts->input.add_options(cmd);
    cmd->add_option("--dump", opts->dump, "Output .safetensors file (written atomically)")->required();
    add_force_flag(cmd, opts->force);
    cmd->callback([opts, &global] { run(*opts, global); });
}

}  // namespace vlmq::cli
