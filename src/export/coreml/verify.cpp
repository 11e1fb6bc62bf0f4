#include "export/coreml/verify.h"

#include <chrono>
#include <cmath>
#include <map>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "export/coreml/export.h"
#include "export/coreml/interpreter.h"
#include "export/coreml/mlpackage.h"
#include "model/vision_batch_norm.h"
#include "model/vision_tower.h"

namespace vlmq::exporters::coreml {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kSampleStride = 97;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Where a constant of the program comes from: a tower tensor, possibly one q/k/v row block of it, or the
// ConvFFN depthwise kernel / bias with the BatchNorm folded in.
struct Source {
    enum class Kind { Plain, RowBlock, FoldedWeight, FoldedBias } kind = Kind::Plain;
    std::string tensor;  // name after arch::fastvlm::kVisionPrefix (the conv weight for the folded kinds)
    std::vector<int64_t> shape;
    int block = 0;
};

using namespace arch::fastvlm;

std::map<std::string, Source> constant_sources(const model::VisionConfig& cfg) {
    std::map<std::string, Source> out;
    const std::string ffn_conv = weight(std::string(kConvFfn) + kFfnConv);
    for (const auto& t : model::vision_tensors(cfg)) {
        const std::string& n = t.name;
        if (n.find(std::string(kConvFfn) + kFfnBatchNorm + ".") != std::string::npos) continue;  // folded
        if (n.ends_with(weight(kAttnQkv))) {
            const char* tags[] = {"_q", "_k", "_v"};
            for (int i = 0; i < 3; ++i) out[mil_var_name(n) + tags[i]] = {Source::Kind::RowBlock, n, t.shape, i};
        } else if (n.ends_with(ffn_conv)) {
            out[mil_var_name(n)] = {Source::Kind::FoldedWeight, n, t.shape, 0};
            out[mil_var_name(folded_ffn_bias_name(n.substr(0, n.size() - ffn_conv.size())))] = {
                Source::Kind::FoldedBias, n, t.shape, 0};
        } else {
            out[mil_var_name(n)] = {Source::Kind::Plain, n, t.shape, 0};
        }
    }
    return out;
}

// The source values of one constant, as the engine loads them (model::vision::load_conv_ffn folds BatchNorm).
std::vector<float> source_values(const package::WeightSource& ws, const Source& s) {
    std::vector<float> v = ws.get_f32(vision_name(s.tensor), s.shape);
    switch (s.kind) {
        case Source::Kind::Plain: return v;
        case Source::Kind::RowBlock: {
            const size_t part = v.size() / 3;
            return {v.begin() + long(size_t(s.block) * part), v.begin() + long(size_t(s.block + 1) * part)};
        }
        case Source::Kind::FoldedWeight:
        case Source::Kind::FoldedBias: {
            const int64_t d = s.shape[0], taps = int64_t(v.size()) / d;
            const std::string ffn_conv = weight(std::string(kConvFfn) + kFfnConv);
            const std::string block = s.tensor.substr(0, s.tensor.size() - ffn_conv.size());
            model::FoldedBatchNorm bn = model::fold_batch_norm(ws, vision_name(block + kConvFfn + kFfnBatchNorm), d);
            if (s.kind == Source::Kind::FoldedBias) return std::move(bn.bias);
            for (int64_t ch = 0; ch < d; ++ch)
                for (int64_t k = 0; k < taps; ++k) v[size_t(ch * taps + k)] = float(v[size_t(ch * taps + k)] * bn.scale[size_t(ch)]);
            return v;
        }
    }
    return v;
}

}  // namespace

WeightCheck check_weights(const MlPackage& pkg, const package::WeightSource& ws, const model::VisionConfig& cfg) {
    auto expected = constant_sources(cfg);
    const Interpreter interp(pkg.spec(), [&](const std::string& f) -> const BlobReader& { return pkg.blobs(f); }, {});
    WeightCheck r;
    auto worse = [&](double rel, const std::string& name) {
        if (!(rel <= r.worst_rel)) r.worst_rel = rel, r.worst_name = name;
    };
    interp.visit_constants([&](const std::string& var, const Tensor& value) {
        auto it = expected.find(var);
        if (it == expected.end()) return;  // op parameters (strides, axes, ...)
        const std::vector<float> ref = source_values(ws, it->second);
        ++r.compared;
        if (value.f.size() != ref.size()) {
            worse(INFINITY, var);
        } else {
            double diff = 0, mx = 0;
            for (size_t i = 0; i < ref.size(); ++i) {
                diff = std::max(diff, std::fabs(double(value.f[i]) - double(ref[i])));
                mx = std::max(mx, std::fabs(double(ref[i])));
            }
            worse(mx > 0 ? diff / mx : diff, var);
        }
        expected.erase(it);
    });
    if (!expected.empty()) worse(INFINITY, expected.begin()->first + " (missing)");
    return r;
}

ordered_json VerifyReport::to_json() const {
    return {{"constants_compared", weights.compared},
            {"constants_worst_rel_diff", weights.worst_rel},
            {"constants_worst", weights.worst_name},
            {"matrix_inputs_compared", matrix_inputs},
            {"matrix_inputs_worst_rel_diff", matrix_inputs_worst_rel},
            {"matrix_inputs_worst", matrix_inputs_worst},
            {"values", values},
            {"max_abs_diff", max_abs_diff},
            {"max_abs_ref", max_ref},
            {"max_rel_diff", rel},
            {"engine_seconds", engine_seconds},
            {"interpreter_seconds", interpreter_seconds}};
}

std::vector<float> test_pattern(int size) {
    std::vector<float> px(size_t(3) * size_t(size) * size_t(size));
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const double u = double(x) / size, v = double(y) / size;
                const double smooth = 0.5 + 0.4 * std::sin(6.2831853 * (u * (c + 1) + v * (3 - c)) + c);
                const double check = ((x / 8 + y / 8) % 2) ? 0.08 : -0.08;
                px[(size_t(c) * size + y) * size + x] = float(std::min(1.0, std::max(0.0, smooth + check)));
            }
    return px;
}

VerifyReport verify_against_engine(const fs::path& mlpackage, const fs::path& model, const std::vector<float>& pixels,
                                   const Compute& c, const package::VerifyOptions& verify) {
    VerifyReport r;
    const auto ws = package::open_weights(model, verify);
    const model::VisionConfig cfg = vision_config_of(*ws);
    if (pixels.size() != size_t(3) * cfg.image_size * cfg.image_size)
        fail("{} pixel values for a {}x{} image", pixels.size(), cfg.image_size, cfg.image_size);
    const MlPackage pkg(mlpackage);
    r.weights = check_weights(pkg, *ws, cfg);

    Compute fp32 = c;
    fp32.int8_activations = false;
    // Samples of every matrix product's input: engine [M, K] rows, program [1, K, H, W] viewed as [H*W, K].
    std::vector<std::pair<std::string, std::vector<float>>> engine_inputs;
    model::ForwardHooks hooks;
    hooks.observe_input = [&](const std::string& name, const float* x, int64_t M, int64_t K, int64_t ldx) {
        std::vector<float> v;
        for (int64_t i = 0; i < M * K; i += kSampleStride) v.push_back(x[(i / K) * ldx + i % K]);
        engine_inputs.emplace_back(name, std::move(v));
    };
    auto t0 = std::chrono::steady_clock::now();
    std::vector<float> ref;
    {
        const model::VisionTower tower(*ws, cfg);
        ref = tower.forward(fp32, pixels.data(), &hooks);
    }
    r.engine_seconds = seconds_since(t0);

    std::map<std::string, std::vector<float>> program_inputs;  // by weight variable
    const Interpreter interp(pkg.spec(), [&](const std::string& f) -> const BlobReader& { return pkg.blobs(f); }, fp32);
    Tensor in;
    in.shape = {1, 3, cfg.image_size, cfg.image_size};
    in.f = pixels;
    t0 = std::chrono::steady_clock::now();
    auto outs = interp.run({{kInputName, std::move(in)}}, [&](const Operation& op,
                                                              const std::map<std::string, const Tensor*>& p,
                                                              const Tensor&) {
        if (op.type != "conv") return;
        const Tensor& x = *p.at("x");
        const int64_t K = x.shape[1], HW = x.shape[2] * x.shape[3];
        std::vector<float> v;
        for (int64_t i = 0; i < HW * K; i += kSampleStride) v.push_back(x.f[size_t((i % K) * HW + i / K)]);
        program_inputs[op.inputs.at("weight")[0].name] = std::move(v);
    });
    r.interpreter_seconds = seconds_since(t0);
    for (const auto& [name, e] : engine_inputs) {
        std::string var = mil_var_name(name.substr(std::string_view(arch::fastvlm::kVisionPrefix).size()));
        if (name.ends_with(arch::fastvlm::weight(arch::fastvlm::kAttnQkv))) var += "_q";
        auto it = program_inputs.find(var);
        double rel = INFINITY;
        if (it != program_inputs.end() && it->second.size() == e.size()) {
            double diff = 0, mx = 0;
            for (size_t k = 0; k < e.size(); ++k) {
                diff = std::max(diff, std::fabs(double(it->second[k]) - double(e[k])));
                mx = std::max(mx, std::fabs(double(e[k])));
            }
            rel = mx > 0 ? diff / mx : diff;
        }
        ++r.matrix_inputs;
        if (!(rel <= r.matrix_inputs_worst_rel)) r.matrix_inputs_worst_rel = rel, r.matrix_inputs_worst = var;
    }
    auto it = outs.find(kOutputName);
    if (it == outs.end()) fail("{}: the program has no output '{}'", mlpackage.string(), kOutputName);
    const std::vector<float>& got = it->second.f;
    if (got.size() != ref.size())
        fail("{}: output has {} values, the engine {}", mlpackage.string(), got.size(), ref.size());
    for (size_t k = 0; k < ref.size(); ++k) {
        r.max_abs_diff = std::max(r.max_abs_diff, std::fabs(double(got[k]) - double(ref[k])));
        r.max_ref = std::max(r.max_ref, std::fabs(double(ref[k])));
    }
    r.values = int64_t(ref.size());
    r.rel = r.max_ref > 0 ? r.max_abs_diff / r.max_ref : r.max_abs_diff;
    if (!std::isfinite(r.rel)) r.rel = INFINITY;
    return r;
}

}  // namespace vlmq::exporters::coreml
