#include "arch/arch_table.h"

#include "core/error.h"
#include "arch/fastvlm_arch.h"

namespace vlmq::arch {

ArchMatcher::ArchMatcher(ArchTable table) : table_(std::move(table)) {
    auto compile = [](const std::string& p) {
        try {
            return std::regex(p, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& e) {
            fail("invalid regular expression '{}': {}", p, e.what());
        }
    };
    for (const auto& r : table_.rules) rules_.push_back(compile(r.pattern));
    for (const auto& p : table_.keep_patterns) keep_.push_back(compile(p));
    for (const auto& p : table_.unit_patterns) units_.push_back(compile(p));
}

std::optional<std::string> ArchMatcher::component_of(const std::string& name) const {
    for (size_t i = 0; i < rules_.size(); ++i)
        if (std::regex_search(name, rules_[i])) return table_.rules[i].component;
    return std::nullopt;
}

TensorRole ArchMatcher::role_of(const std::string& name, DType dtype, const std::vector<int64_t>& shape) const {
    if (!dtype_is_float(dtype)) return TensorRole::Keep;
    int big_dims = 0;
    for (int64_t d : shape) big_dims += d > 1;
    if (big_dims < 2) return TensorRole::Keep;
    for (const auto& re : keep_)
        if (std::regex_search(name, re)) return TensorRole::Keep;
    return TensorRole::Weight;
}

std::string ArchMatcher::unit_of(const std::string& name) const {
    std::smatch m;
    for (const auto& re : units_)
        if (std::regex_search(name, m, re) && m.size() > 1) return m[1].str();
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
