#include "test_util.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/error.h"
#include "core/half.h"

namespace vlmq::test {

namespace fs = std::filesystem;

fs::path data_dir() { return VLMQ_TEST_DATA; }
fs::path tiny_model_dir() { return data_dir() / "tiny-fastvlm-a" / "model"; }
fs::path tiny_golden_dir() { return data_dir() / "tiny-fastvlm-a" / "golden"; }
fs::path tiny_data_dir() { return data_dir() / "tiny-fastvlm-a" / "data"; }

BundledModel tiny_a() { return {"tiny_a", data_dir() / "tiny-fastvlm-a"}; }
BundledModel shapes() { return {"shapes", data_dir() / "shapes-fastvlm"}; }
std::vector<BundledModel> golden_models() { return {tiny_a(), shapes()}; }

TempDir::TempDir() {
    std::random_device rd;
    for (int i = 0; i < 100; ++i) {
        fs::path p = fs::temp_directory_path() / ("vlmq-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
        if (fs::create_directory(p)) {
            path_ = p;
            return;
        }
    }
    throw std::runtime_error("cannot create temp dir");
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::vector<float> read_f32(const fs::path& file, const std::string& name, std::vector<int64_t>* shape) {
    io::SafetensorsFile f(file);
    const io::TensorInfo* t = f.find(name);
    if (!t) throw std::runtime_error(file.string() + ": no tensor " + name);
    if (shape) *shape = t->shape;
    const auto bytes = f.data(*t);
    std::vector<float> out(size_t(t->numel()));
    for (size_t i = 0; i < out.size(); ++i) {
        switch (t->dtype) {
            case DType::F32: std::memcpy(&out[i], bytes.data() + 4 * i, 4); break;
            case DType::F16: {
                uint16_t h;
                std::memcpy(&h, bytes.data() + 2 * i, 2);
                out[i] = f16_to_f32(h);
                break;
            }
            case DType::BF16: {
                uint16_t h;
                std::memcpy(&h, bytes.data() + 2 * i, 2);
                out[i] = bf16_to_f32(h);
                break;
            }
            default: throw std::runtime_error(name + ": not a float tensor");
        }
    }
    return out;
}

std::vector<int64_t> read_i64(const fs::path& file, const std::string& name) {
    io::SafetensorsFile f(file);
    const io::TensorInfo* t = f.find(name);
    if (!t) throw std::runtime_error(file.string() + ": no tensor " + name);
    const auto bytes = f.data(*t);
    std::vector<int64_t> out(size_t(t->numel()));
    for (size_t i = 0; i < out.size(); ++i) {
        if (t->dtype == DType::I64) {
            std::memcpy(&out[i], bytes.data() + 8 * i, 8);
        } else if (t->dtype == DType::I32) {
            int32_t v;
            std::memcpy(&v, bytes.data() + 4 * i, 4);
            out[i] = v;
        } else {
            throw std::runtime_error(name + ": not an integer tensor");
        }
    }
    return out;
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return INFINITY;
    double max_diff = 0, max_ref = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        max_diff = std::max(max_diff, double(std::fabs(a[i] - b[i])));
        max_ref = std::max(max_ref, double(std::fabs(b[i])));
    }
    return max_ref > 0 ? max_diff / max_ref : max_diff;
}

static std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CommandResult run_vlmq(const std::vector<std::string>& args) {
    TempDir tmp;
    std::string cmd = quote(VLMQ_BIN);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " >" + quote((tmp / "out").string()) + " 2>" + quote((tmp / "err").string()) + " </dev/null";
    const int status = std::system(cmd.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(tmp / "out");
    r.err = slurp(tmp / "err");
    return r;
}

void expect_one_line_error(const CommandResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("vlmq: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

void copy_tiny_model(const fs::path& dir, const TensorEdit& edit_tensor, const ConfigEdit& edit_config) {
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(tiny_model_dir()))
        if (e.path().filename() != "model.safetensors" && e.path().filename() != "config.json")
            fs::copy_file(e.path(), dir / e.path().filename());
    io::SafetensorsFile src(tiny_model_dir() / "model.safetensors");
    std::vector<io::OwnedTensor> tensors;
    for (const auto& t : src.tensors()) {
        io::OwnedTensor o;
        o.decl = {t.name, t.dtype, t.shape};
        const auto bytes = src.data(t);
        o.bytes.assign(bytes.begin(), bytes.end());
        if (!edit_tensor || edit_tensor(o)) tensors.push_back(std::move(o));
    }
    io::write_safetensors(dir / "model.safetensors", tensors, src.metadata());
    nlohmann::json config = nlohmann::json::parse(slurp(tiny_model_dir() / "config.json"));
    if (edit_config) edit_config(config);
    std::ofstream(dir / "config.json") << config.dump(2);
}

std::vector<float> gaussian(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

std::vector<float> uniform(size_t n, uint32_t seed, float lo, float hi) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

}  // namespace vlmq::test
