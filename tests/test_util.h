#pragma once
// Shared helpers for the test executables.
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"

namespace vlmq::test {

// tests/data (bundled copies of the shared assets).
std::filesystem::path data_dir();
std::filesystem::path tiny_model_dir();   // tests/data/tiny-fastvlm-a/model
std::filesystem::path tiny_golden_dir();  // tests/data/tiny-fastvlm-a/golden
std::filesystem::path tiny_data_dir();    // tests/data/tiny-fastvlm-a/data

// A bundled model with reference goldens: model/, golden/sample_{0,1,2}.safetensors, data/{calib,val,test}.
struct BundledModel {
    std::string name;  // usable in test names: "tiny_a", "shapes"
    std::filesystem::path dir;
    std::filesystem::path model() const { return dir / "model"; }
    std::filesystem::path golden() const { return dir / "golden"; }
    std::filesystem::path data() const { return dir / "data"; }
};
BundledModel tiny_a();  // tests/data/tiny-fastvlm-a: answers from priors (40 %), for exactness tests
BundledModel shapes();  // tests/data/shapes-fastvlm: answers from the image (60 %), for accuracy tests
std::vector<BundledModel> golden_models();  // both
inline void PrintTo(const BundledModel& m, std::ostream* os) { *os << m.name; }

// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Reads a tensor from a safetensors file as fp32 (F32/F16/BF16) or as int64 (I64/I32).
std::vector<float> read_f32(const std::filesystem::path& file, const std::string& name,
                            std::vector<int64_t>* shape = nullptr);
std::vector<int64_t> read_i64(const std::filesystem::path& file, const std::string& name);

// The message of the vlmq::Error that fn throws; "" when it throws none.
std::string error_of(const std::function<void()>& fn);

// max |a - b| / max |b|
double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b);

struct CommandResult {
    int exit_code = 0;
    std::string out, err;
};
// Runs the built vlmq binary with the given arguments (shell-quoted here).
CommandResult run_vlmq(const std::vector<std::string>& args);

// Asserts that a vlmq run failed as bad input must: exit code 1 and exactly one stderr line, "vlmq: error: ...",
// containing `needle`.
void expect_one_line_error(const CommandResult& r, const std::string& needle);

// Copies the tiny model directory (tests/data/tiny-fastvlm-a/model) into `dir`. `edit_tensor` may change each
// tensor of model.safetensors (return false to drop it) and `edit_config` the parsed config.json.
using TensorEdit = std::function<bool(io::OwnedTensor&)>;
using ConfigEdit = std::function<void(nlohmann::json&)>;
void copy_tiny_model(const std::filesystem::path& dir, const TensorEdit& edit_tensor = {},
                     const ConfigEdit& edit_config = {});

// Deterministic test data: n samples of N(0, scale^2) / U(lo, hi) from std::mt19937 seeded with `seed`.
std::vector<float> gaussian(size_t n, uint32_t seed, float scale = 1.0f);
std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace vlmq::test
