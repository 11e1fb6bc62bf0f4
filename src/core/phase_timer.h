#pragma once
// Adds the wall seconds of a scope to *sink; with a null sink it reads no clock (timings that are off cost nothing).
#include <chrono>

namespace vlmq {

class PhaseTimer {
public:
    explicit PhaseTimer(double* sink) : sink_(sink) {
        if (sink_) start_ = std::chrono::steady_clock::now();
    }
    ~PhaseTimer() { stop(); }
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

    void stop() {
        if (!sink_) return;
        *sink_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        sink_ = nullptr;
    }

private:
    double* sink_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace vlmq
