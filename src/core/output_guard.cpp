#include "core/output_guard.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/input_file.h"

namespace vlmq {

namespace {

std::string subject(std::string_view flag, const fs::path& p) {
    return flag.empty() ? p.string() : fmt::format("{} {}", flag, p.string());
}

// `inner` lies strictly inside `outer` (both absolute and normalized).
bool lies_inside(const fs::path& inner, const fs::path& outer) {
    const fs::path rel = inner.lexically_relative(outer);
    return !rel.empty() && rel != "." && *rel.begin() != "..";
}

// The forms an input can take: itself with symlinks resolved, and its parent resolved with its own name kept
// (an input given as a symbolic link).
std::vector<fs::path> input_forms(const fs::path& in) {
    std::vector<fs::path> forms;
    std::error_code ec;
    const fs::path abs = fs::absolute(in, ec);
    if (ec) return forms;
    const fs::path full = fs::weakly_canonical(abs, ec);
    if (!ec) forms.push_back(full);
    const fs::path named = resolve_output_path(in, "");
    if (forms.empty() || named != forms.front()) forms.push_back(named);
    return forms;
}

std::string input_word(const fs::path& p) {
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    return fs::is_directory(st) ? "directory" : fs::exists(st) ? "file" : "path";
}

void check_inputs(const fs::path& out, const fs::path& given, const std::vector<InputPath>& inputs,
                  std::string_view flag) {
    for (const auto& in : inputs) {
        if (in.path.empty()) continue;
        const std::string what = fmt::format("the {} {}", in.flag, input_word(in.path));
        std::error_code ec;
        if (fs::exists(out, ec) && fs::exists(in.path, ec) && fs::equivalent(out, in.path, ec))
            fail("{} is {}; choose another path", subject(flag, given), what);
        for (const fs::path& form : input_forms(in.path)) {
            if (out == form) fail("{} is {}; choose another path", subject(flag, given), what);
            if (lies_inside(out, form))
                fail("{} lies inside {} {}; choose another path", subject(flag, given), what, in.path.string());
            if (lies_inside(form, out))
                fail("{} contains {} {}; choose another path", subject(flag, given), what, in.path.string());
        }
    }
}

bool is_empty(const fs::path& p, OutputType type) {
    std::error_code ec;
    const bool empty = type == OutputType::Directory ? fs::is_empty(p, ec) : fs::file_size(p, ec) == 0;
    return !ec && empty;
}

}  // namespace

OutputKind marked_directory_kind(std::string what, std::string marker) {
    OutputKind k;
    k.what = std::move(what);
    k.type = OutputType::Directory;
    k.marker = marker;
    k.recognise = [marker](const fs::path& dir) {
        const auto text = read_regular_file(dir / kOutputMarker, 4096);
        return text && *text == marker + "\n";
    };
    return k;
}

OutputKind file_kind(std::string what, std::function<bool(const std::string& bytes)> matches) {
    OutputKind k;
    k.what = std::move(what);
    k.type = OutputType::File;
    k.recognise = [matches = std::move(matches)](const fs::path& p) {
        const auto bytes = read_regular_file(p, 1ull << 30);
        if (!bytes) return false;
        try {
            return matches(*bytes);
        } catch (const std::exception&) {
            return false;
        }
    };
    return k;
}

fs::path resolve_output_path(const fs::path& out, std::string_view flag) {
    if (out.empty()) fail("{}: empty path", flag.empty() ? "output" : flag);
    std::error_code ec;
    fs::path p = fs::absolute(out, ec);
    if (ec) fail("{}: cannot make absolute: {}", subject(flag, out), ec.message());
    while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();  // "dir/" names dir
    const std::string name = p.filename().string();
    if (name == "." || name == ".." || !p.has_relative_path()) return fs::weakly_canonical(p, ec);
    const fs::path parent = fs::weakly_canonical(p.parent_path(), ec);
    if (ec) fail("{}: cannot resolve its directory: {}", subject(flag, out), ec.message());
    return parent / p.filename();
}

void check_replaceable(const fs::path& p, const OutputKind& kind, bool force, std::string_view flag) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(p, ec);
    if (!fs::exists(st)) {
        if (!fs::is_directory(p.parent_path(), ec))
            fail("{}: directory {} does not exist", subject(flag, p), p.parent_path().string());
        return;
    }
    if (fs::is_symlink(st))
        fail("{} is a symbolic link; name the path it points to, or another path", subject(flag, p));
    const bool dir = fs::is_directory(st);
    if (!dir && !fs::is_regular_file(st))
        fail("{} is neither a regular file nor a directory; choose another path", subject(flag, p));
    if (dir != (kind.type == OutputType::Directory))
        fail("{} is {}, and {} is {}; choose another path", subject(flag, p), dir ? "a directory" : "a file", kind.what,
             dir ? "a file" : "a directory");
    if (force || is_empty(p, kind.type) || (kind.recognise && kind.recognise(p))) return;
    fail("{} exists and is not {} written by vlmq; choose another path, or pass --force to replace it",
         subject(flag, p), kind.what);
}

fs::path check_output(const fs::path& out, const OutputKind& kind, const std::vector<InputPath>& inputs, bool force,
                      std::string_view flag) {
    const fs::path p = resolve_output_path(out, flag);
    check_inputs(p, out, inputs, flag);
    check_replaceable(p, kind, force, flag);
    return p;
}

}  // namespace vlmq
