#pragma once
// Deployment targets of the Core ML export: the Core ML specification version and MIL opset each implies
// (coremltools: iOS16 = spec 7 / "CoreML6", iOS17 = 8 / "CoreML7", iOS18 = 9 / "CoreML8").
#include <optional>
#include <string>
#include <string_view>

namespace vlmq::exporters::coreml {

enum class Target { iOS16, iOS17, iOS18 };

struct TargetInfo {
    Target target;
    const char* name;   // "ios16"
    int spec_version;   // Model.specificationVersion
    const char* opset;  // Function.opset
};

const TargetInfo& target_info(Target t);
std::optional<Target> parse_target(std::string_view name);
// Fails with "unknown deployment target 'x' (expected ios16, ios17 or ios18)".
Target parse_target_or_fail(std::string_view name);
// The target whose opset string is `opset` (reader side).
std::optional<Target> target_of_opset(std::string_view opset);

}  // namespace vlmq::exporters::coreml
