#include "quant/quant_config.h"

#include <regex>
#include <set>

#include "core/error.h"

namespace vlmq::quant {

namespace {

const std::set<std::string> kAlgorithms = {"rtn", "weighted", "gptq", "awq"};
const std::set<std::string> kComponentKeys = {"vision_encoder", "text_encoder", "fusion_layers", "decoder"};

void check_regex(const std::string& pattern, const std::string& where) {
    try {
        std::regex re(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        fail("{}: invalid regular expression '{}': {}", where, pattern, e.what());
    }
}

}  // namespace

std::string Precision::str() const {
    if (keep) return "keep";
    return format.is_int() ? format.name() + "/" + algorithm : format.name();
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
        } else if (auto f = qformat::Format::parse(s)) {
            p.format = *f;
        } else {
            fail("{}: unknown precision '{}' (expected int2..int8, fp16, bf16, fp32, keep, a format name like "
                 "int4_g64_aff, or an object)", where, s);
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
                } else if (g.is_number_integer() && (g.get<int64_t>() == 0 || g.get<int64_t>() == 32 ||
                                                     g.get<int64_t>() == 64 || g.get<int64_t>() == 128)) {
                    group = int(g.get<int64_t>());
                } else {
                    fail("{}: group_size must be 32, 64, 128, 0 or \"channel\", got {}", where, g.dump());
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
        if (!a.is_string() || !kAlgorithms.count(a.get<std::string>()))
            fail("{}: algorithm must be one of rtn, weighted, gptq, awq; got {}", where, a.dump());
        p.algorithm = a.get<std::string>();
    }
    return p;
}

ordered_json precision_json(const Precision& p) {
    if (p.keep) return "keep";
    if (!p.format.is_int()) return p.format.name();
    return {{"format", p.format.name()}, {"algorithm", p.algorithm}};
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
    if (!reassign.empty()) {
        ordered_json a = ordered_json::object();
        for (const auto& [re, c] : reassign) a[re] = c;
        j["assign"] = a;
    }
    j["calibration_samples"] = calibration_samples;
    ordered_json v;
    v["metric"] = validation.metric;
    v["min_retention"] = validation.min_retention;
    v["max_kld"] = validation.max_kld ? ordered_json(*validation.max_kld) : ordered_json(nullptr);
    v["samples"] = validation.samples;
    j["validation"] = v;
    if (!order.empty()) j["order"] = order;
    j["fallback"] = fallback_chain;
    j["per_layer_fallback"] = per_unit_fallback;
    return j;
}

QuantConfig QuantConfig::load(const std::filesystem::path& path) { return parse(read_json_file(path), path.string()); }

QuantConfig QuantConfig::parse(const json& j, const std::string& where) {
    if (!j.is_object()) fail("{}: config must be a JSON object", where);
    QuantConfig c;
    c.source = j;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& key = it.key();
        const std::string at = where + ": '" + key + "'";
        if (kComponentKeys.count(key)) {
            c.components[key] = parse_precision(*it, at);
        } else if (key == "components") {
            if (!it->is_object()) fail("{}: must map component names to precisions", at);
            for (auto c2 = it->begin(); c2 != it->end(); ++c2)
                c.components[c2.key()] = parse_precision(*c2, at + "." + c2.key());
        } else if (key == "calibration_samples") {
            if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > 10'000'000)
                fail("{}: must be a positive integer", at);
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
                c.reassign.emplace_back(o.key(), o->get<std::string>());
            }
        } else if (key == "validation") {
            const json& v = *it;
            if (!v.is_object()) fail("{}: must be an object", at);
            for (auto f = v.begin(); f != v.end(); ++f) {
                const std::string k = f.key();
                if (k == "metric") {
                    if (!f->is_string() || !(*f == "vqa" || *f == "exact" || *f == "agreement" || *f == "kld"))
                        fail("{}.metric: must be one of vqa, exact, agreement, kld", at);
                    c.validation.metric = f->get<std::string>();
                } else if (k == "min_retention") {
                    if (!f->is_number() || f->get<double>() < 0 || f->get<double>() > 1)
                        fail("{}.min_retention: must be a number in [0, 1]", at);
                    c.validation.min_retention = f->get<double>();
                } else if (k == "max_kld") {
                    if (f->is_null()) {
                        c.validation.max_kld.reset();
                    } else if (f->is_number() && f->get<double>() >= 0) {
                        c.validation.max_kld = f->get<double>();
                    } else {
                        fail("{}.max_kld: must be null or a non-negative number", at);
                    }
                } else if (k == "samples") {
                    if (!f->is_number_integer() || f->get<int64_t>() <= 0) fail("{}.samples: must be a positive integer", at);
                    c.validation.samples = int(f->get<int64_t>());
                } else {
                    fail("{}: unknown key '{}' (expected metric, min_retention, max_kld, samples)", at, k);
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
                parse_precision(o, at);
                c.fallback_chain.push_back(o.get<std::string>());
            }
        } else if (key == "per_layer_fallback") {
            if (!it->is_boolean()) fail("{}: must be true or false", at);
            c.per_unit_fallback = it->get<bool>();
        } else if (key == "$schema" || key == "comment" || key == "description") {
            // documentation keys
        } else {
            fail("{}: unknown key (expected vision_encoder, text_encoder, fusion_layers, decoder, components, "
                 "overrides, assign, calibration_samples, validation, order, fallback, per_layer_fallback)", at);
        }
    }
    if (c.fallback_chain.empty()) c.fallback_chain = {"int8", "fp16"};
    return c;
}

void QuantConfig::check_components(const std::vector<std::string>& known, const std::string& where) const {
    std::set<std::string> k(known.begin(), known.end());
    for (const auto& [name, p] : components)
        if (!k.count(name)) fail("{}: the model has no component '{}'", where, name);
    for (const auto& [re, comp] : reassign)
        if (!k.count(comp)) fail("{}: 'assign' names unknown component '{}'", where, comp);
    for (const auto& o : order)
        if (!k.count(o)) fail("{}: 'order' names unknown component '{}'", where, o);
}

}  // namespace vlmq::quant
