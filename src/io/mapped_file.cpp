#include "io/mapped_file.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/error.h"
#include "core/input_file.h"

namespace vlmq::io {

namespace {

// Touching a page of a mapping past the end of its file raises SIGBUS: that happens when another process
// truncates an input while vlmq reads it. Mapped bytes are read everywhere (kernels stream weights straight
// from the map), so rather than guarding each read, one process-wide handler turns a SIGBUS inside a mapping
// registered here into a one-line error and exit status 1. Outputs are staged and committed only at the
// end, so nothing half-written is left in place of an output. A SIGBUS elsewhere goes to the previous
// disposition. This table is process-global because a signal handler can reach nothing else.
constexpr size_t kGuardSlots = 4096;  // mappings open at once beyond this are still mapped, but unguarded

struct GuardSlot {
    std::atomic<uintptr_t> begin{0}, end{0};
    std::atomic<const char*> path{nullptr};
};

GuardSlot g_slots[kGuardSlots];
struct sigaction g_previous {};
std::once_flag g_install_once;

void write_stderr(const char* s) {
    size_t n = std::strlen(s);
    while (n > 0) {
        const ssize_t w = ::write(STDERR_FILENO, s, n);
        if (w <= 0) return;
        s += w;
        n -= size_t(w);
    }
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
    const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (const GuardSlot& s : g_slots) {
        if (info->si_code <= 0) break;  // sent by kill/raise, not a fault: si_addr is meaningless
        const uintptr_t begin = s.begin.load(std::memory_order_acquire);
        if (begin == 0 || addr < begin || addr >= s.end.load(std::memory_order_relaxed)) continue;
        write_stderr("vlmq: error: ");
        write_stderr(s.path.load(std::memory_order_relaxed));
        write_stderr(": input file shrank while being read (truncated or rewritten by another process?)\n");
        ::_exit(1);
    }
    if ((g_previous.sa_flags & SA_SIGINFO) && g_previous.sa_sigaction) {
        g_previous.sa_sigaction(sig, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(sig);
    } else {
        ::signal(SIGBUS, SIG_DFL);  // the default action: delivered when this handler returns
        ::raise(SIGBUS);
    }
}

void install_handler() {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous);
}

void guard(const std::byte* data, size_t size, const std::filesystem::path& path) {
    std::call_once(g_install_once, install_handler);
    for (GuardSlot& s : g_slots) {
        if (s.begin.load(std::memory_order_relaxed) != 0 || s.path.load(std::memory_order_relaxed) != nullptr)
            continue;
        const char* expected = nullptr;
        char* copy = ::strdup(path.c_str());
        if (!copy) return;
        if (!s.path.compare_exchange_strong(expected, copy)) {
            std::free(copy);
            continue;
        }
        s.end.store(reinterpret_cast<uintptr_t>(data) + size, std::memory_order_relaxed);
        s.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
        return;
    }
}

void unguard(const std::byte* data) {
    for (GuardSlot& s : g_slots) {
        if (s.begin.load(std::memory_order_relaxed) != reinterpret_cast<uintptr_t>(data)) continue;
        s.begin.store(0, std::memory_order_release);
        s.end.store(0, std::memory_order_relaxed);
        std::free(const_cast<char*>(s.path.exchange(nullptr)));
        return;
    }
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
    const InputFile file(path);  // a regular file; a FIFO or device is refused without blocking
    size_ = size_t(file.size());
    if (size_ > 0) {
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, file.fd(), 0);
        if (p == MAP_FAILED) fail("{}: cannot map: {}", path.string(), std::strerror(errno));
        data_ = static_cast<const std::byte*>(p);
        guard(data_, size_, path_);
    }
}

MappedFile::~MappedFile() { release(); }

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        path_ = std::move(other.path_);
        data_ = other.data_;
        size_ = other.size_;
        other.data_ = nullptr;
        other.size_ = 0;
    }
    return *this;
}

void MappedFile::release(size_t offset, size_t length) const {
    if (!data_ || length == 0) return;
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    const size_t begin = (offset + page - 1) / page * page;  // only whole pages inside the range
    const size_t end = std::min(size_, offset + length) / page * page;
    if (end > begin) ::madvise(const_cast<std::byte*>(data_) + begin, end - begin, MADV_DONTNEED);
}

void MappedFile::release() {
    if (data_) {
        unguard(data_);
        ::munmap(const_cast<std::byte*>(data_), size_);
    }
    data_ = nullptr;
    size_ = 0;
}

}  // namespace vlmq::io
