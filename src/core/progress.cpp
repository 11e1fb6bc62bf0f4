#include "core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace vlmq {

bool Progress::stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      enabled_(enabled && stderr_is_tty()), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n, const std::string& detail) { set(done_ + n, detail); }

void Progress::set(int64_t done, const std::string& detail) {
    done_ = done;
    detail_ = detail;
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
    last_draw_ = now;
    draw(false);
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (enabled_) draw(true);
}

void Progress::draw(bool final) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string eta;
    if (!final && done_ > 0 && total_ > done_) {
        const double remaining = elapsed / double(done_) * double(total_ - done_);
        eta = remaining >= 60 ? fmt::format("ETA {}m{:02}s", int(remaining) / 60, int(remaining) % 60)
                              : fmt::format("ETA {:.0f}s", remaining);
    } else if (final) {
        eta = fmt::format("done in {:.1f}s", elapsed);
    }
    const double rate = elapsed > 0 ? double(done_) / elapsed : 0.0;
    std::string line = fmt::format("{}  {}/{} {}  {:.1f} {}/s  {}", label_, done_, total_, unit_, rate, unit_, eta);
    if (!detail_.empty() && !final) line += "  " + detail_;
    if (line.size() > 110) line.resize(110);
    fmt::print(stderr, "\r\033[2K{}{}", line, final ? "\n" : "");
    std::fflush(stderr);
}

}  // namespace vlmq
