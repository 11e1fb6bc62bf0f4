#include "io/output_kinds.h"

#include "core/error.h"
#include "core/fs_util.h"
#include "core/input_file.h"
#include "core/json_util.h"

namespace vlmq::io {

namespace {

// The "__metadata__.format" of a safetensors header, or "" (not safetensors, unreadable, no such field).
std::string metadata_format(const std::filesystem::path& file) {
    constexpr uint64_t kMaxHeader = 100ull << 20;
    const auto f = InputFile::probe(file);
    unsigned char len[8];
    if (!f || !f->read_at(0, len, 8)) return "";
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
    std::string header(n > 0 && n <= kMaxHeader ? size_t(n) : 0, '\0');
    if (header.empty() || !f->read_at(8, header.data(), header.size())) return "";
    try {
        const json j = parse_json(header, file.string());
        if (!j.is_object() || !j.contains("__metadata__") || !j["__metadata__"].is_object()) return "";
        const json& m = j["__metadata__"];
        return m.contains("format") && m["format"].is_string() ? m["format"].get<std::string>() : "";
    } catch (const Error&) {
        return "";
    }
}

}  // namespace

OutputKind checkpoint_output_kind() { return marked_directory_kind("a checkpoint directory", "checkpoint"); }

OutputKind safetensors_output_kind(std::string what, std::string format) {
    OutputKind k;
    k.what = std::move(what);
    k.type = OutputType::File;
    k.recognise = [format](const std::filesystem::path& p) {
        try {
            return metadata_format(p) == format;
        } catch (const std::exception&) {
            return false;
        }
    };
    return k;
}

}  // namespace vlmq::io
