#include "quant/quant_config.h"

#include <algorithm>
#include <cmath>

#include <fmt/ranges.h>

#include "core/error.h"
#include "core/pattern.h"

namespace vlmq::quant {

namespace {

const char* const kConfigKeys = "components, overrides, assign, calibration_samples, validation, order, fallback, "
                                "per_layer_fallback";

std::optional<ValidationMetric> metric_of(const json& v) {
    for (ValidationMetric m : {ValidationMetric::Agreement, ValidationMetric::Vqa, ValidationMetric::Exact,
                               ValidationMetric::Kld})
        if (v.is_string() && v.get<std::string>() == metric_name(m)) return m;
    return std::nullopt;
}

bool is_component(const arch::ArchTable& arch, const std::string& name) {
    return std::find(arch.components.begin(), arch.components.end(), name) != arch.components.end();
}

void check_regex(const std::string& pattern, const std::string& where) { Pattern(pattern, where); }

}  // namespace

std::string metric_name(ValidationMetric m) {
    switch (m) {
        case ValidationMetric::Agreement: return "agreement";
        case ValidationMetric::Vqa: return "vqa";
        case ValidationMetric::Exact: return "exact";
        case ValidationMetric::Kld: return "kld";
    }
    return "?";
}

bool metric_needs_labels(ValidationMetric m) { return m == ValidationMetric::Vqa || m == ValidationMetric::Exact; }

std::string Precision::str() const {
    if (keep) return "keep";
    return format.is_int() ? format.name() + "/" + rounding::algorithm_name(algorithm) : format.name();
}

Precision parse_precision(const json& v, const std::string& where) {
    Precision p;
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s == "keep") {
            p.keep = true;
        } else if (s == "fp32" || s == "f32" || s == "float32") {
            p.format = qformat::Format::f32();
        } else if (s == "fp16" || s == "f16" || s == "float16") {
            p.format = qformat::Format::f16();
        } else if (s == "bf16" || s == "bfloat16") {
            p.format = qformat::Format::bf16();
        } else if (s == "int8") {
            p.format = qformat::Format::integer(8, 0, true);  // per-channel symmetric
        } else if (s == "int4" || s == "int2" || s == "int3" || s == "int5" || s == "int6") {
            p.format = qformat::Format::integer(s[3] - '0', 32, true);
        } else if (std::string why; auto f = qformat::Format::parse(s, &why)) {
            p.format = *f;
        } else {
            fail("{}: unknown precision '{}': {} (precisions: int2..int8, fp16, bf16, fp32, keep, a format name like "
                 "int4_g64_aff, or an object)", where, s, why);
        }
        return p;
    }
    if (!v.is_object()) fail("{}: precision must be a string or an object, got {}", where, v.dump());
    for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key() != "bits" && it.key() != "group_size" && it.key() != "symmetric" && it.key() != "algorithm" &&
            it.key() != "format")
            fail("{}: unknown key '{}' (expected bits, group_size, symmetric, algorithm, format)", where, it.key());
    if (v.contains("format")) {
        if (v.contains("bits") || v.contains("group_size") || v.contains("symmetric"))
            fail("{}: give either 'format' or bits/group_size/symmetric, not both", where);
        p = parse_precision(v["format"], where + ".format");
    } else {
        const int64_t bits = json_int(v, "bits", where);
        if (bits == 16) {
            p.format = qformat::Format::f16();
        } else if (bits == 32) {
            p.format = qformat::Format::f32();
        } else {
            if (bits < 2 || bits > 8) fail("{}: bits must be 2..8, 16 or 32, got {}", where, bits);
            int group = bits == 8 ? 0 : 32;
            if (v.contains("group_size")) {
                const json& g = v["group_size"];
                if (g.is_string() && (g == "channel" || g == "row")) {
                    group = 0;
                } else if (g.is_number_integer() && (g.get<int64_t>() == 0 ||
                                                     (g.get<int64_t>() <= INT32_MAX &&
                                                      qformat::group_size_supported(int(g.get<int64_t>()))))) {
                    group = int(g.get<int64_t>());
                } else {
                    fail("{}: group_size must be one of {}, 0 or \"channel\", got {}", where,
                         fmt::format("{}", fmt::join(qformat::kGroupSizes, ", ")), g.dump());
                }
            }
            bool symmetric = true;
            if (v.contains("symmetric")) {
                if (!v["symmetric"].is_boolean()) fail("{}: symmetric must be true or false", where);
                symmetric = v["symmetric"].get<bool>();
            }
            p.format = qformat::Format::integer(int(bits), group, symmetric);
        }
    }
    if (v.contains("algorithm")) {
        const json& a = v["algorithm"];
        const auto algo = a.is_string() ? rounding::algorithm_of(a.get<std::string>()) : std::nullopt;
        if (!algo) fail("{}: algorithm must be one of rtn, weighted, gptq, awq; got {}", where, a.dump());
        p.algorithm = *algo;
    }
    return p;
}

ordered_json precision_json(const Precision& p) {
    if (p.keep) return "keep";
    if (!p.format.is_int()) return p.format.name();
    return {{"format", p.format.name()}, {"algorithm", rounding::algorithm_name(p.algorithm)}};
}

ordered_json QuantConfig::to_json() const {
    ordered_json j;
    ordered_json comps = ordered_json::object();
    for (const auto& [name, p] : components) comps[name] = precision_json(p);
    j["components"] = comps;
    if (!overrides.empty()) {
        ordered_json o = ordered_json::object();
        for (const auto& [re, p] : overrides) o[re] = precision_json(p);
        j["overrides"] = o;
    }
    if (!assign.empty()) {
        ordered_json a = ordered_json::object();
        for (const auto& [re, c] : assign) a[re] = c;
        j["assign"] = a;
    }
    j["calibration_samples"] = calibration_samples;
    ordered_json v;
    v["metric"] = metric_name(validation.metric);
    v["min_retention"] = validation.min_retention;
    v["max_kld"] = validation.max_kld ? ordered_json(*validation.max_kld) : ordered_json(nullptr);
    v["samples"] = validation.samples;
    v["int8_activations"] = validation.int8_activations;
    j["validation"] = v;
    if (!order.empty()) j["order"] = order;
    ordered_json fb = ordered_json::array();
    for (const auto& rung : fallback) fb.push_back(rung.name);
    j["fallback"] = fb;
    j["per_layer_fallback"] = per_layer_fallback;
    return j;
}

QuantConfig QuantConfig::load(const std::filesystem::path& path, const arch::ArchTable& arch) {
    return parse(read_json_file(path), path.string(), arch);
}

QuantConfig QuantConfig::parse(const json& j, const std::string& where, const arch::ArchTable& arch) {
    if (!j.is_object()) fail("{}: config must be a JSON object", where);
    QuantConfig c;
    c.source = j;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& key = it.key();
        const std::string at = where + ": '" + key + "'";
        if (is_component(arch, key)) {
            c.components[key] = parse_precision(*it, at);
        } else if (key == "components") {
            if (!it->is_object()) fail("{}: must map component names to precisions", at);
            for (auto c2 = it->begin(); c2 != it->end(); ++c2)
                c.components[c2.key()] = parse_precision(*c2, at + "." + c2.key());
        } else if (key == "calibration_samples") {
            if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > kMaxSamples)
                fail("{}: must be an integer in 1..{}, got {}", at, kMaxSamples, it->dump());
            c.calibration_samples = int(it->get<int64_t>());
        } else if (key == "overrides") {
            if (!it->is_object()) fail("{}: must map tensor-name regexes to precisions", at);
            for (auto o = it->begin(); o != it->end(); ++o) {
                check_regex(o.key(), at);
                c.overrides.emplace_back(o.key(), parse_precision(*o, at + "[" + o.key() + "]"));
            }
        } else if (key == "assign") {
            if (!it->is_object()) fail("{}: must map tensor-name regexes to component names", at);
            for (auto o = it->begin(); o != it->end(); ++o) {
                check_regex(o.key(), at);
                if (!o->is_string()) fail("{}[{}]: must be a component name", at, o.key());
                c.assign.emplace_back(o.key(), o->get<std::string>());
            }
        } else if (key == "validation") {
            const json& v = *it;
            if (!v.is_object()) fail("{}: must be an object", at);
            for (auto f = v.begin(); f != v.end(); ++f) {
                const std::string k = f.key();
                if (k == "metric") {
                    const auto m = metric_of(*f);
                    if (!m) fail("{}.metric: must be one of vqa, exact, agreement, kld", at);
                    c.validation.metric = *m;
                } else if (k == "min_retention") {
                    if (!f->is_number() || !(f->get<double>() >= 0 && f->get<double>() <= 1))
                        fail("{}.min_retention: must be a number in [0, 1], got {}", at, f->dump());
                    c.validation.min_retention = f->get<double>();
                } else if (k == "max_kld") {
                    if (f->is_null()) {
                        c.validation.max_kld.reset();
                    } else if (f->is_number() && f->get<double>() >= 0 && std::isfinite(f->get<double>())) {
                        c.validation.max_kld = f->get<double>();
                    } else {
                        fail("{}.max_kld: must be null or a finite non-negative number, got {}", at, f->dump());
                    }
                } else if (k == "samples") {
                    if (!f->is_number_integer() || f->get<int64_t>() <= 0 || f->get<int64_t>() > kMaxSamples)
                        fail("{}.samples: must be an integer in 1..{}, got {}", at, kMaxSamples, f->dump());
                    c.validation.samples = int(f->get<int64_t>());
                } else if (k == "int8_activations") {
                    if (!f->is_boolean()) fail("{}.int8_activations: must be true or false", at);
                    c.validation.int8_activations = f->get<bool>();
                } else {
                    fail("{}: unknown key '{}' (expected metric, min_retention, max_kld, samples, int8_activations)",
                         at, k);
                }
            }
        } else if (key == "order") {
            if (!it->is_array()) fail("{}: must be a list of component names", at);
            for (const auto& o : *it) {
                if (!o.is_string()) fail("{}: must be a list of component names", at);
                c.order.push_back(o.get<std::string>());
            }
        } else if (key == "fallback") {
            if (!it->is_array()) fail("{}: must be a list of precisions, e.g. [\"int8\", \"fp16\"]", at);
            for (const auto& o : *it) {
                if (!o.is_string()) fail("{}: must be a list of precision names", at);
                c.fallback.push_back({o.get<std::string>(), parse_precision(o, at)});
            }
        } else if (key == "per_layer_fallback") {
            if (!it->is_boolean()) fail("{}: must be true or false", at);
            c.per_layer_fallback = it->get<bool>();
        } else if (key == "$schema" || key == "comment" || key == "description") {
            // documentation keys
        } else {
            fail("{}: unknown key (expected {}, or a component of the '{}' architecture: {})", at, kConfigKeys, arch.name,
                 fmt::format("{}", fmt::join(arch.components, ", ")));
        }
    }
    if (c.fallback.empty())
        for (const char* name : {"int8", "fp16"}) c.fallback.push_back({name, parse_precision(name, where)});
    c.check_components(arch, where);
    return c;
}

std::string unit_regex(const std::string& unit) {
    std::string re = "^";
    for (char ch : unit) {
        if (std::string("\\^$.|?*+()[]{}").find(ch) != std::string::npos) re += '\\';
        re += ch;
    }
    return re + "\\.";
}

void QuantConfig::check_components(const arch::ArchTable& arch, const std::string& where) const {
    for (const auto& [name, p] : components)
        if (!is_component(arch, name)) fail("{}: the '{}' architecture has no component '{}'", where, arch.name, name);
    for (const auto& [re, comp] : assign)
        if (!is_component(arch, comp)) fail("{}: 'assign' names unknown component '{}'", where, comp);
    for (const auto& o : order)
        if (!is_component(arch, o)) fail("{}: 'order' names unknown component '{}'", where, o);
}

}  // namespace vlmq::quant
