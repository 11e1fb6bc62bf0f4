#include "io/output_kinds.h"

#include <unistd.h>

#include "core/fs_util.h"
#include "core/json_util.h"

namespace vlmq::io {

namespace {

// The "__metadata__.format" of a safetensors header, or "" (not safetensors, unreadable, no such field).
std::string metadata_format(const std::filesystem::path& file) {
    constexpr uint64_t kMaxHeader = 100ull << 20;
    const int fd = open_regular_file(file);
    if (fd < 0) return "";
    unsigned char len[8];
    uint64_t n = 0;
    std::string header;
    if (::pread(fd, len, 8, 0) == 8) {
        for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
        if (n > 0 && n <= kMaxHeader) {
            header.resize(n);
            if (::pread(fd, header.data(), n, 8) != ssize_t(n)) header.clear();
        }
    }
    ::close(fd);
    const json j = json::parse(header, nullptr, false);
    if (!j.is_object() || !j.contains("__metadata__") || !j["__metadata__"].is_object()) return "";
    const json& m = j["__metadata__"];
    return m.contains("format") && m["format"].is_string() ? m["format"].get<std::string>() : "";
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
