#pragma once
// Progress of a long phase ("step 3 validate decoder:int4_g32_sym/rtn  12/300 samples  0.4 samples/s  elapsed
// 30s  ETA 12m15s") on stderr, in one of two process-wide styles:
//  - Line (default): one line redrawn in place when stderr is a terminal; nothing otherwise, so no progress
//    bytes ever reach a file or a pipe;
//  - Json (`--json` commands that opt in): one JSON object per line on stderr, terminal or not, at most one a
//    second per phase plus its first and last: {"progress": label, "done", "total", "unit", "elapsed_s",
//    "eta_s"[, "detail"][, "final": true]}.
// A disabled Progress prints nothing in either style.
#include <chrono>
#include <cstdint>
#include <string>

namespace vlmq {

enum class ProgressStyle { Line, Json };

class Progress {
public:
    Progress(std::string label, int64_t total, std::string unit, bool enabled = true);
    ~Progress();
    void advance(int64_t n = 1, const std::string& detail = {});
    void set(int64_t done, const std::string& detail = {});
    void finish();

    static bool stderr_is_tty();
    // Set once by the command line before any Progress exists (stderr is one per process).
    static void set_style(ProgressStyle style);
    static ProgressStyle style();

private:
    void draw(bool final);
    void draw_json(bool final, double elapsed);

    std::string label_, unit_, detail_;
    int64_t total_, done_ = 0;
    bool enabled_, finished_ = false, drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace vlmq
