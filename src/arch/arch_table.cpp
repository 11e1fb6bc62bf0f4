#include "arch/arch_table.h"

#include "core/error.h"
#include "arch/fastvlm_arch.h"

namespace vlmq::arch {

ArchMatcher::ArchMatcher(ArchTable table) : table_(std::move(table)) {
    const std::string where = "architecture table '" + table_.name + "'";
    for (const auto& r : table_.rules) rules_.emplace_back(r.pattern, where);
    for (const auto& p : table_.keep_patterns) keep_.emplace_back(p, where);
    for (const auto& p : table_.unit_patterns) units_.emplace_back(p, where);
}

std::optional<std::string> ArchMatcher::component_of(const std::string& name) const {
    for (size_t i = 0; i < rules_.size(); ++i)
        if (rules_[i].search(name)) return table_.rules[i].component;
    return std::nullopt;
}

TensorRole ArchMatcher::role_of(const std::string& name, DType dtype, const std::vector<int64_t>& shape) const {
    if (!dtype_is_float(dtype)) return TensorRole::Keep;
    int big_dims = 0;
    for (int64_t d : shape) big_dims += d > 1;
    if (big_dims < 2) return TensorRole::Keep;
    for (const auto& re : keep_)
        if (re.search(name)) return TensorRole::Keep;
    return TensorRole::Weight;
}

std::string ArchMatcher::unit_of(const std::string& name) const {
    for (const auto& re : units_)
        if (const auto groups = re.search_groups(name); groups.size() > 1) return groups[1];
    return "";
}

std::string regex_literal(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (std::string_view(R"(\^$.|?*+()[]{})").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

std::string regex_any_of(std::initializer_list<std::string_view> texts) {
    std::string out = "(?:";
    for (std::string_view t : texts) {
        if (out.size() > 3) out += '|';
        out += regex_literal(t);
    }
    return out + ")";
}

ArchTable arch_table_for_config(const json& config, const std::string& where) {
    if (!config.is_object()) fail("{}: expected a JSON object, got {}", where, config.type_name());
    std::string model_type = config.value("model_type", "");
    if (model_type == "llava_qwen2" || model_type == "fastvlm") return fastvlm_arch_table();
    if (config.contains("architectures") && config["architectures"].is_array())
        for (const auto& a : config["architectures"])
            if (a.is_string() && a.get<std::string>() == "LlavaQwen2ForCausalLM") return fastvlm_arch_table();
    fail("{}: unsupported model_type '{}' (supported: llava_qwen2 / FastVLM)", where, model_type);
}

ArchTable arch_table_for_dir(const std::filesystem::path& dir) {
    const std::filesystem::path config = dir / "config.json";
    return arch_table_for_config(read_json_file(config), config.string());
}

}  // namespace vlmq::arch
