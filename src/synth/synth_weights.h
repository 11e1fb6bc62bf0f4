#pragma once
// Deterministic random weights whose statistics resemble trained ones: fan-in scaled Gaussians with
// per-row scales and a few outlier input channels for matrices; ~1 for norm gains; small biases;
// positive BatchNorm variances; identity-centred depthwise kernels where the reference folds an identity.
#include <cstdint>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace vlmq::synth {

class WeightGenerator {
public:
    WeightGenerator(const io::TensorDecl& tensor, uint64_t seed);
    // Writes rows [row0, row0 + nrows) of the tensor viewed as rows x cols, as fp32.
    void rows(int64_t row0, int64_t nrows, float* out) const;
    int64_t rows_total() const { return rows_; }
    int64_t cols() const { return cols_; }

private:
    enum class Kind { Matrix, Gain, Bias, Scale, Mean, Variance };
    Kind kind_;
    uint64_t key_;
    int64_t rows_, cols_;
    float sigma_ = 1.0f;
    int64_t identity_tap_ = -1;  // column that gets +1 (kernel centre), -1 for none
    std::vector<float> col_scale_;
};

uint64_t splitmix64(uint64_t& state);
// Approximately standard normal (Irwin-Hall of four 16-bit uniforms): cheap and platform-independent.
float approx_normal(uint64_t bits);

}  // namespace vlmq::synth
