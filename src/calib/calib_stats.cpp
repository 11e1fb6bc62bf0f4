#include "calib/calib_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/staging.h"
#include "io/output_kinds.h"
#include "io/safetensors.h"
#include "kernels/linear.h"

#include <xxhash.h>

namespace vlmq::calib {

namespace {
constexpr const char* kStatsFormat = "vlmq-calibration";
}  // namespace

std::vector<float> InputStats::importance() const {
    std::vector<float> out(size_t(k), 0.0f);
    if (rows > 0)
        for (int64_t i = 0; i < k; ++i) out[size_t(i)] = float(sum_sq[size_t(i)] / double(rows));
    return out;
}

std::vector<float> InputStats::mean_abs() const {
    std::vector<float> out(size_t(k), 0.0f);
    if (rows > 0)
        for (int64_t i = 0; i < k; ++i) out[size_t(i)] = float(sum_abs[size_t(i)] / double(rows));
    return out;
}

std::vector<float> InputStats::hessian() const {
    std::vector<float> out(xtx.size());
    for (size_t i = 0; i < xtx.size(); ++i) out[i] = float(xtx[i] / double(xtx_rows));
    return out;
}

void CalibrationStats::observe(const std::string& name, const float* x, int64_t M, int64_t K, int64_t ldx) {
    std::lock_guard lock(mutex_);
    InputStats& s = stats_[name];
    if (s.k == 0) {
        s.k = K;
        s.sum_sq.assign(size_t(K), 0.0);
        s.sum_abs.assign(size_t(K), 0.0);
        s.max_abs.assign(size_t(K), 0.0f);
        const int64_t bytes = K * K * int64_t(sizeof(double));
        if (K <= options_.hessian_max_k && hessian_bytes_ + bytes <= options_.hessian_budget_mb * (1 << 20)) {
            s.xtx.assign(size_t(K * K), 0.0);
            hessian_bytes_ += bytes;
        }
    }
    if (s.k != K) fail("calibration: weight '{}' observed with {} input channels, earlier {}", name, K, s.k);
    for (int64_t m = 0; m < M; ++m) {
        const float* r = x + m * ldx;
        for (int64_t i = 0; i < K; ++i) {
            const double v = r[i];
            s.sum_sq[size_t(i)] += v * v;
            s.sum_abs[size_t(i)] += std::fabs(v);
            s.max_abs[size_t(i)] = std::max(s.max_abs[size_t(i)], std::fabs(r[i]));
        }
    }
    s.rows += M;
    if (s.xtx.empty()) return;
    const int64_t step = std::max<int64_t>(1, (M + options_.hessian_max_rows_per_call - 1) / options_.hessian_max_rows_per_call);
    const int64_t n = (M + step - 1) / step;
    // Transposed subsample xt [K, n]; its hash identifies a repeated input.
    std::vector<float> xt(static_cast<size_t>(K * n));
    for (int64_t m = 0, j = 0; m < M; m += step, ++j)
        for (int64_t i = 0; i < K; ++i) xt[size_t(i * n + j)] = x[m * ldx + i];
    const uint64_t h = XXH3_64bits(xt.data(), xt.size() * sizeof(float));
    if (!(h == last_hash_ && K == last_k_ && n == last_rows_)) {
        std::vector<float> rows_major(static_cast<size_t>(n * K));
        for (int64_t j = 0; j < n; ++j)
            for (int64_t i = 0; i < K; ++i) rows_major[size_t(j * K + i)] = xt[size_t(i * n + j)];
        last_xtx_.assign(size_t(K * K), 0.0f);
        Compute serial;
        kernels::matmul_f32(compute_ ? *compute_ : serial, xt.data(), n, rows_major.data(), K, last_xtx_.data(), K, K, K,
                            n);
        last_hash_ = h;
        last_k_ = K;
        last_rows_ = n;
    }
    for (size_t i = 0; i < last_xtx_.size(); ++i) s.xtx[i] += double(last_xtx_[i]);
    s.xtx_rows += n;
}

const InputStats* CalibrationStats::find(const std::string& name) const {
    auto it = stats_.find(name);
    return it == stats_.end() ? nullptr : &it->second;
}

void CalibrationStats::merge(const std::string& name, InputStats&& s) {
    std::lock_guard lock(mutex_);
    auto it = stats_.find(name);
    if (it == stats_.end()) {
        stats_.emplace(name, std::move(s));
        return;
    }
    InputStats& d = it->second;
    if (d.k != s.k || d.xtx.size() != s.xtx.size())
        fail("calibration: statistics of '{}' disagree between passes ({} vs {} input channels)", name, d.k, s.k);
    for (size_t i = 0; i < size_t(d.k); ++i) {
        d.sum_sq[i] += s.sum_sq[i];
        d.sum_abs[i] += s.sum_abs[i];
        d.max_abs[i] = std::max(d.max_abs[i], s.max_abs[i]);
    }
    for (size_t i = 0; i < d.xtx.size(); ++i) d.xtx[i] += s.xtx[i];
    d.rows += s.rows;
    d.xtx_rows += s.xtx_rows;
}

void CalibrationStats::merge(CalibrationStats&& other) {
    for (auto& [name, s] : other.stats_) merge(name, std::move(s));
    other.stats_.clear();
    samples += other.samples;
}

namespace {

std::vector<std::byte> f32_bytes(const std::vector<float>& v) {
    std::vector<std::byte> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

std::vector<float> read_f32(const io::SafetensorsFile& f, const std::string& name, int64_t n) {
    const io::TensorInfo* t = f.find(name);
    if (!t || t->dtype != DType::F32 || t->numel() != n)
        fail("{}: missing or malformed statistics tensor '{}'", f.path().string(), name);
    std::vector<float> out(static_cast<size_t>(n));
    std::memcpy(out.data(), f.data(*t).data(), size_t(n) * 4);
    return out;
}

}  // namespace

OutputKind stats_output_kind() { return io::safetensors_output_kind("a calibration statistics file", kStatsFormat); }

void CalibrationStats::save(const std::filesystem::path& path, bool force) const {
    StagedOutput staged(path, stats_output_kind(), force);
    std::vector<io::OwnedTensor> tensors;
    ordered_json rows = ordered_json::object();
    for (const auto& [name, s] : stats_) {
        // Means (not sums) in fp32: counts go in the metadata, so files from different runs can be merged.
        std::vector<float> mean_sq = s.importance(), mean_abs = s.mean_abs();
        tensors.push_back({{name + ".mean_sq", DType::F32, {s.k}}, f32_bytes(mean_sq)});
        tensors.push_back({{name + ".mean_abs", DType::F32, {s.k}}, f32_bytes(mean_abs)});
        tensors.push_back({{name + ".max_abs", DType::F32, {s.k}}, f32_bytes(s.max_abs)});
        if (s.has_hessian()) tensors.push_back({{name + ".xtx", DType::F32, {s.k, s.k}}, f32_bytes(s.hessian())});
        rows[name] = {{"k", s.k}, {"rows", s.rows}, {"xtx_rows", s.has_hessian() ? s.xtx_rows : 0}};
    }
    ordered_json meta;
    meta["samples"] = samples;
    meta["provenance"] = provenance;
    meta["weights"] = rows;
    io::write_safetensors(staged.path(), tensors, {{"format", kStatsFormat}, {"vlmq", meta.dump()}});
    staged.commit();
}

std::unique_ptr<CalibrationStats> CalibrationStats::load(const std::filesystem::path& path) {
    const io::SafetensorsFile f(path);
    const std::string where = path.string();
    auto it = f.metadata().find("vlmq");
    if (f.metadata().count("format") == 0 || f.metadata().at("format") != "vlmq-calibration" || it == f.metadata().end())
        fail("{}: not a vlmq calibration statistics file", where);
    const json meta = parse_json(it->second, where + ": metadata 'vlmq'");
    auto out = std::make_unique<CalibrationStats>();
    out->samples = json_int(meta, "samples", where);
    out->provenance = meta.value("provenance", json::object());
    const json& weights = json_field(meta, "weights", where);
    for (auto w = weights.begin(); w != weights.end(); ++w) {
        const std::string at = where + ": " + w.key();
        InputStats s;
        s.k = json_int(*w, "k", at);
        s.rows = json_int(*w, "rows", at);
        s.xtx_rows = json_int(*w, "xtx_rows", at);
        if (s.k <= 0 || s.rows < 0 || s.xtx_rows < 0) fail("{}: bad counts", at);
        const auto mean_sq = read_f32(f, w.key() + ".mean_sq", s.k);
        const auto mean_abs = read_f32(f, w.key() + ".mean_abs", s.k);
        s.max_abs = read_f32(f, w.key() + ".max_abs", s.k);
        s.sum_sq.resize(size_t(s.k));
        s.sum_abs.resize(size_t(s.k));
        for (int64_t i = 0; i < s.k; ++i) {
            s.sum_sq[size_t(i)] = double(mean_sq[size_t(i)]) * double(s.rows);
            s.sum_abs[size_t(i)] = double(mean_abs[size_t(i)]) * double(s.rows);
        }
        if (s.xtx_rows > 0) {
            const auto h = read_f32(f, w.key() + ".xtx", s.k * s.k);
            s.xtx.resize(h.size());
            for (size_t i = 0; i < h.size(); ++i) s.xtx[i] = double(h[i]) * double(s.xtx_rows);
        }
        out->stats_[w.key()] = std::move(s);
    }
    return out;
}

}  // namespace vlmq::calib
