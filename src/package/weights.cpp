#include "package/weights.h"

#include "core/error.h"
#include "io/checkpoint.h"
#include "qformat/format_traits.h"
#include "package/package_reader.h"
#include "package/source.h"

namespace vlmq::package {

std::optional<qformat::Format> float_format(DType dtype) { return qformat::float_format_of(dtype); }

Weight WeightSource::get(const std::string& name, const std::vector<int64_t>& shape) const {
    auto w = find(name);
    if (!w) fail("{}: missing tensor '{}'", dir().string(), name);
    if (!shape.empty() && w->shape != shape)
        fail("{}: tensor '{}' has shape {}, expected {}", dir().string(), name, shape_str(w->shape), shape_str(shape));
    return *w;
}

std::vector<float> WeightSource::get_f32(const std::string& name, const std::vector<int64_t>& shape) const {
    const Weight w = get(name, shape);
    std::vector<float> out(size_t(w.numel()));
    for (int64_t r = 0; r < w.mat.rows; ++r) qformat::dequantize_row_ref(w.mat, r, out.data() + r * w.mat.cols);
    return out;
}

namespace {

class CheckpointWeights final : public WeightSource {
public:
    explicit CheckpointWeights(const std::filesystem::path& dir) : ckpt_(dir) {}
    const json& config() const override { return ckpt_.config(); }
    const std::filesystem::path& dir() const override { return ckpt_.dir(); }
    std::vector<std::string> names() const override { return ckpt_.names(); }

    std::optional<Weight> find(const std::string& name) const override {
        const io::TensorRef* ref = ckpt_.find(name);
        if (!ref) return std::nullopt;
        const io::TensorInfo& t = *ref->info;
        Weight w;
        w.name = name;
        w.shape = t.shape;
        const auto fmt = float_format(t.dtype);
        if (!fmt)
            fail("{}: tensor '{}' has dtype {}, expected a floating-point weight (F32, F16 or BF16)", dir().string(),
                 name, dtype_name(t.dtype));
        w.mat.fmt = *fmt;
        w.mat.rows = t.shape.empty() ? 1 : t.shape[0];
        w.mat.cols = w.mat.rows == 0 ? 0 : t.numel() / w.mat.rows;
        w.mat.data = ref->bytes().data();
        return w;
    }

private:
    io::Checkpoint ckpt_;
};

}  // namespace

std::unique_ptr<WeightSource> open_weights(const std::filesystem::path& path, const VerifyOptions& verify) {
    if (source_kind(path) == SourceKind::Package) return package_weights(std::make_shared<const Package>(path, verify));
    return std::make_unique<CheckpointWeights>(path);
}

}  // namespace vlmq::package
