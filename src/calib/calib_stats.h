#pragma once
// Input statistics of every quantizable matrix product, gathered while the unquantized model runs on
// calibration samples: per input channel mean x^2 (importance, = diag of the GPTQ Hessian), mean |x|
// and max |x| (AWQ), and optionally the full mean X^T X (GPTQ). Saved as a safetensors file.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "core/compute.h"
#include "core/output_guard.h"

namespace vlmq::calib {

struct InputStats {
    int64_t k = 0;
    int64_t rows = 0;  // activation rows observed (tokens, or pixels for 1x1 convs)
    std::vector<double> sum_sq, sum_abs;
    std::vector<float> max_abs;
    int64_t xtx_rows = 0;     // rows that entered xtx (may be subsampled)
    std::vector<double> xtx;  // k*k, empty when not collected

    std::vector<float> importance() const;  // mean x^2 per channel
    std::vector<float> mean_abs() const;
    bool has_hessian() const { return !xtx.empty() && xtx_rows > 0; }
    std::vector<float> hessian() const;     // mean x x^T, k*k
};

// A statistics file written by CalibrationStats::save (safetensors with "format": "vlmq-calibration").
OutputKind stats_output_kind();

struct CollectOptions {
    int64_t hessian_max_k = 4096;          // collect X^T X only for inputs this wide or narrower
    int64_t hessian_max_rows_per_call = 2048;  // subsample (strided) rows of large activations for X^T X
    int64_t hessian_budget_mb = 4096;      // stop adding new X^T X accumulators beyond this memory
};

class CalibrationStats {
public:
    explicit CalibrationStats(CollectOptions options = {}, const Compute* compute = nullptr)
        : options_(options), compute_(compute) {}

    // Accumulates x [M, K] (row stride ldx) for the weight `name`. Thread-safe.
    void observe(const std::string& name, const float* x, int64_t M, int64_t K, int64_t ldx);
    const InputStats* find(const std::string& name) const;
    // Adds another pass's statistics of `name` (sums, maxima, counts). Exact when this has none yet, so a
    // sequence of merges defines the reduction order (pipeline/calibrate fixes it independently of ranks).
    void merge(const std::string& name, InputStats&& s);
    void merge(CalibrationStats&& other);
    const std::map<std::string, InputStats>& all() const { return stats_; }

    int64_t samples = 0;   // calibration samples seen
    ordered_json provenance;  // dataset, sample count, seed, source model hash

    // Replaces an existing `path` only when it is a statistics file (or empty), or with `force`.
    void save(const std::filesystem::path& path, bool force = false) const;
    static std::unique_ptr<CalibrationStats> load(const std::filesystem::path& path);

private:
    CollectOptions options_;
    const Compute* compute_ = nullptr;
    std::map<std::string, InputStats> stats_;
    int64_t hessian_bytes_ = 0;
    // q/k/v (and gate/up) see the same activations: the last call's X^T X is reused when the input repeats.
    uint64_t last_hash_ = 0;
    int64_t last_k_ = 0, last_rows_ = 0;
    std::vector<float> last_xtx_;
    mutable std::mutex mutex_;
};

}  // namespace vlmq::calib
