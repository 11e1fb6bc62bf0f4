#include "export/coreml/mil_builder.h"

#include "core/error.h"

namespace vlmq::exporters::coreml {

void MilBuilder::define(const std::string& name, const TensorType& type) {
    if (!index_.emplace(name, vars_.size()).second) fail("MIL builder: variable '{}' defined twice", name);
    vars_.emplace_back(name, type);
}

const TensorType& MilBuilder::type_of(const std::string& var) const {
    auto it = index_.find(var);
    if (it == index_.end()) fail("MIL builder: no variable '{}'", var);
    return vars_[it->second].second;
}

void MilBuilder::input(const std::string& name, TensorType type) { define(name, type); }

Value MilBuilder::blob_value(TensorType type, std::span<const uint8_t> bytes) {
    const uint64_t offset = blobs_.append(type.dtype, type.numel(), bytes);
    return Value{std::move(type), BlobRef{kWeightFile, offset}};
}

Value MilBuilder::fp32_value(std::vector<int64_t> shape, std::span<const float> v) {
    TensorType t{DataType::Float32, std::move(shape)};
    if (t.numel() != int64_t(v.size())) fail("MIL builder: {} values for {}", v.size(), type_str(t));
    if (t.numel() >= kMinBlobElements)
        return blob_value(std::move(t), {reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4});
    return tensor_fp32(std::move(t.shape), std::vector<float>(v.begin(), v.end()));
}

std::string MilBuilder::constant(const std::string& name, Value v) {
    Operation op;
    op.type = "const";
    op.attributes["name"] = scalar_string(name);
    op.outputs.push_back({name, v.type});
    define(name, v.type);
    op.attributes["val"] = std::move(v);
    block_.operations.push_back(std::move(op));
    return name;
}

std::string MilBuilder::op(const std::string& type, const std::string& name,
                           const std::vector<std::pair<std::string, std::string>>& inputs,
                           const std::vector<std::pair<std::string, Value>>& params, TensorType out) {
    Operation op;
    op.type = type;
    for (const auto& [param, var] : inputs) {
        type_of(var);  // must exist
        op.inputs[param] = {Binding{var, std::nullopt}};
    }
    for (const auto& [param, value] : params) {
        const std::string c = constant(name + "_" + param, value);
        op.inputs[param] = {Binding{c, std::nullopt}};
    }
    op.attributes["name"] = scalar_string(name);
    op.outputs.push_back({name, out});
    define(name, out);
    block_.operations.push_back(std::move(op));
    return name;
}

std::string MilBuilder::constexpr_op(const std::string& type, const std::string& name,
                                     const std::vector<std::pair<std::string, Value>>& params, TensorType out) {
    Operation op;
    op.type = type;
    op.attributes["name"] = scalar_string(name);
    for (const auto& [param, value] : params) {
        if (target_ == Target::iOS18)
            op.inputs[param] = {Binding{"", value}};
        else
            op.attributes[param] = value;
    }
    op.outputs.push_back({name, out});
    define(name, out);
    block_.operations.push_back(std::move(op));
    return name;
}

}  // namespace vlmq::exporters::coreml
