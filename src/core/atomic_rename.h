#pragma once
// Renames that never leave a moment without something at the destination: a move that refuses to replace,
// and a swap of two paths (Linux renameat2, macOS renamex_np; elsewhere reported as unsupported).
#include <filesystem>
#include <system_error>

namespace vlmq {

// Moves `from` to `to` only when nothing is at `to` (errc::file_exists otherwise). Where the OS has no
// no-replace rename, the check and the rename are two steps.
std::error_code rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to);

// Swaps two existing paths in one step; errc::operation_not_supported where the OS or file system cannot.
std::error_code exchange_paths(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace vlmq
