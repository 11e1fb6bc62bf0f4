#include "quant/awq_plan.h"

#include "qformat/dequant.h"

namespace vlmq::quant {

const std::vector<AwqScaling>* AwqPlan::scalings_of(const std::string& tensor) const {
    auto it = tensors.find(tensor);
    return it != tensors.end() ? &it->second : nullptr;
}

const float* AwqPlan::column_scales(const std::string& tensor) const {
    if (const auto* s = scalings_of(tensor))
        for (const AwqScaling& op : *s)
            if (op.kind == AwqScaling::Kind::MultiplyColumns) return groups[op.group].scales.data();
    return nullptr;
}

std::vector<float> awq_scaled_tensor(const Compute& c, const AwqPlan& awq, const std::vector<AwqScaling>& scalings,
                                     std::span<const std::byte> src, DType dtype, int64_t rows, int64_t cols) {
    std::vector<float> w(static_cast<size_t>(rows * cols));
    qformat::convert_to_f32(c, src.data(), dtype, rows * cols, w.data());
    for (const AwqScaling& op : scalings) {
        const std::vector<float>& s = awq.groups[op.group].scales;
        const int64_t K = int64_t(s.size());
        switch (op.kind) {
            case AwqScaling::Kind::MultiplyColumns:
                for (int64_t row = 0; row < rows; ++row)
                    for (int64_t j = 0; j < K; ++j) w[size_t(row * K + j)] *= s[size_t(j)];
                break;
            case AwqScaling::Kind::DivideElements:
                for (int64_t j = 0; j < K; ++j) w[size_t(j)] /= s[size_t(j)];
                break;
            case AwqScaling::Kind::DivideLastRows:
                for (int64_t j = 0; j < K; ++j)
                    for (int64_t col = 0; col < cols; ++col) w[size_t((rows - K + j) * cols + col)] /= s[size_t(j)];
                break;
        }
    }
    return w;
}

}  // namespace vlmq::quant
