#pragma once
// The rules every output path obeys (docs/reliability.md): an output never is, contains or lies inside an
// input; an existing path is replaced only when it is empty, a vlmq output of the same kind, or --force is
// given; a file never becomes a directory nor a directory a file; a symbolic link is never written through.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vlmq {

namespace fs = std::filesystem;

enum class OutputType { File, Directory };

// One kind of output vlmq writes, and how a rerun recognises an earlier one.
struct OutputKind {
    std::string what;  // in messages: "a .vlmq package"
    OutputType type = OutputType::Directory;
    // True when `existing` (of `type`) is an output of this kind written by vlmq; never throws.
    std::function<bool(const fs::path& existing)> recognise;
    // Kinds without a manifest of their own: the line StagedOutput writes to kOutputMarker inside the directory.
    std::string marker;
};

// Directory outputs of formats that vlmq does not define (MLX exports, checkpoints) carry this file.
inline constexpr const char* kOutputMarker = ".vlmq-output";
// A directory kind recognised by its kOutputMarker holding `marker`.
OutputKind marked_directory_kind(std::string what, std::string marker);
// A file kind recognised from its bytes (read only from a regular file of at most 1 GiB); `matches` may throw,
// which counts as "not this kind".
OutputKind file_kind(std::string what, std::function<bool(const std::string& bytes)> matches);

// An input of the command, named by its flag in messages ("--model").
struct InputPath {
    std::string flag;
    fs::path path;
};

// `out` made absolute with its parent directory resolved (symlinks, "x/../x"): where the output will be.
fs::path resolve_output_path(const fs::path& out, std::string_view flag = "--out");

// Checks `out` against the rules before anything is written; fails with one line naming `flag`, the path and
// why. Returns the resolved path.
fs::path check_output(const fs::path& out, const OutputKind& kind, const std::vector<InputPath>& inputs, bool force,
                      std::string_view flag = "--out");

// The part of check_output that concerns what stands at the resolved path now (empty `flag`: the path alone).
void check_replaceable(const fs::path& resolved, const OutputKind& kind, bool force, std::string_view flag);

}  // namespace vlmq
