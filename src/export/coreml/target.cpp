#include "export/coreml/target.h"

#include "core/error.h"

namespace vlmq::exporters::coreml {

namespace {

constexpr TargetInfo kTargets[] = {
    {Target::iOS16, "ios16", 7, "CoreML6"},
    {Target::iOS17, "ios17", 8, "CoreML7"},
    {Target::iOS18, "ios18", 9, "CoreML8"},
};

}  // namespace

const TargetInfo& target_info(Target t) { return kTargets[int(t)]; }

std::optional<Target> parse_target(std::string_view name) {
    for (const auto& t : kTargets)
        if (name == t.name) return t.target;
    return std::nullopt;
}

Target parse_target_or_fail(std::string_view name) {
    if (auto t = parse_target(name)) return *t;
    fail("unknown deployment target '{}' (expected ios16, ios17 or ios18)", name);
}

std::optional<Target> target_of_opset(std::string_view opset) {
    for (const auto& t : kTargets)
        if (opset == t.opset) return t.target;
    return std::nullopt;
}

}  // namespace vlmq::exporters::coreml
