#include "core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "core/json_util.h"

namespace vlmq {

namespace {

ProgressStyle g_style = ProgressStyle::Line;

std::string duration(double s) {
    const int t = int(s + 0.5);
    if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, t / 60 % 60);
    return t >= 60 ? fmt::format("{}m{:02}s", t / 60, t % 60) : fmt::format("{}s", t);
}

}  // namespace

bool Progress::stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }
void Progress::set_style(ProgressStyle style) { g_style = style; }
ProgressStyle Progress::style() { return g_style; }

Progress::Progress(std::string label, int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      enabled_(enabled && (g_style == ProgressStyle::Json || stderr_is_tty())),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n, const std::string& detail) { set(done_ + n, detail); }

void Progress::set(int64_t done, const std::string& detail) {
    done_ = done;
    detail_ = detail;
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const auto every = g_style == ProgressStyle::Json ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(100);
    if (drawn_ && now - last_draw_ < every && done_ < total_) return;
    if (g_style == ProgressStyle::Json && done_ >= total_) return;  // the final line says it
    last_draw_ = now;
    draw(false);
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (enabled_) draw(true);
}

void Progress::draw(bool final) {
    drawn_ = true;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (g_style == ProgressStyle::Json) return draw_json(final, elapsed);
    std::string tail;
    if (final) {
        tail = fmt::format("done in {}", duration(elapsed));
    } else {
        tail = fmt::format("elapsed {}", duration(elapsed));
        if (done_ > 0 && total_ > done_) tail += "  ETA " + duration(elapsed / double(done_) * double(total_ - done_));
    }
    const double rate = elapsed > 0 ? double(done_) / elapsed : 0.0;
    std::string line = fmt::format("{}  {}/{} {}  {:.2f} {}/s  {}", label_, done_, total_, unit_, rate, unit_, tail);
    if (!detail_.empty() && !final) line += "  " + detail_;
    if (line.size() > 150) line.resize(150);
    fmt::print(stderr, "\r\033[2K{}{}", line, final ? "\n" : "");
    std::fflush(stderr);
}

void Progress::draw_json(bool final, double elapsed) {
    ordered_json j{{"progress", label_}, {"done", done_}, {"total", total_}, {"unit", unit_},
                   {"elapsed_s", std::round(elapsed * 10) / 10}};
    if (done_ > 0 && total_ > done_ && !final)
        j["eta_s"] = std::round(elapsed / double(done_) * double(total_ - done_) * 10) / 10;
    if (!detail_.empty()) j["detail"] = detail_;
    if (final) j["final"] = true;
    fmt::print(stderr, "{}\n", j.dump());
    std::fflush(stderr);
}

}  // namespace vlmq
