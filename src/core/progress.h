#pragma once
// A one-line progress display ("quantize  412/924 tensors  1.2 GB/s  ETA 3s") redrawn on stderr when
// it is a terminal; silent otherwise (and always silent when disabled, e.g. under --json).
#include <chrono>
#include <cstdint>
#include <string>

namespace vlmq {

class Progress {
public:
    Progress(std::string label, int64_t total, std::string unit, bool enabled = true);
    ~Progress();
    void advance(int64_t n = 1, const std::string& detail = {});
    void set(int64_t done, const std::string& detail = {});
    void finish();

    static bool stderr_is_tty();

private:
    void draw(bool final);

    std::string label_, unit_, detail_;
    int64_t total_, done_ = 0;
    bool enabled_, finished_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace vlmq
