#include "core/atomic_rename.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace vlmq {

namespace fs = std::filesystem;

namespace {

[[maybe_unused]] std::error_code errno_code() { return {errno, std::generic_category()}; }

[[maybe_unused]] bool unsupported(int e) { return e == EINVAL || e == ENOSYS || e == ENOTSUP || e == EOPNOTSUPP; }

// Without a no-replace rename: check, then rename (two steps).
[[maybe_unused]] std::error_code check_then_rename(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(to, ec))) return std::make_error_code(std::errc::file_exists);
    fs::rename(from, to, ec);
    return ec;
}

}  // namespace

#if defined(__linux__) && defined(RENAME_NOREPLACE) && defined(RENAME_EXCHANGE)

std::error_code rename_no_replace(const fs::path& from, const fs::path& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return {};
    return unsupported(errno) ? check_then_rename(from, to) : errno_code();
}

std::error_code exchange_paths(const fs::path& a, const fs::path& b) {
    if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return {};
    return unsupported(errno) ? std::make_error_code(std::errc::operation_not_supported) : errno_code();
}

#elif defined(__APPLE__) && defined(RENAME_EXCL) && defined(RENAME_SWAP)

std::error_code rename_no_replace(const fs::path& from, const fs::path& to) {
    if (::renamex_np(from.c_str(), to.c_str(), RENAME_EXCL) == 0) return {};
    return unsupported(errno) ? check_then_rename(from, to) : errno_code();
}

std::error_code exchange_paths(const fs::path& a, const fs::path& b) {
    if (::renamex_np(a.c_str(), b.c_str(), RENAME_SWAP) == 0) return {};
    return unsupported(errno) ? std::make_error_code(std::errc::operation_not_supported) : errno_code();
}

#else

std::error_code rename_no_replace(const fs::path& from, const fs::path& to) { return check_then_rename(from, to); }

std::error_code exchange_paths(const fs::path&, const fs::path&) {
    return std::make_error_code(std::errc::operation_not_supported);
}

#endif

}  // namespace vlmq
