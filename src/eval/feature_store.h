#pragma once
// Per-sample float arrays (a model's projected image tokens) kept for later model runs: in memory up to a byte
// budget, and past it in one spill file (appended, read back on demand, removed with the store). The rule is
// first come first kept: a sample whose array no longer fits the budget goes to the file.
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace vlmq::eval {

class FeatureStore {
public:
    // `spill_file` is created only when something spills; its directory must exist.
    FeatureStore(size_t samples, uint64_t memory_budget_bytes, std::filesystem::path spill_file);
    ~FeatureStore();
    FeatureStore(const FeatureStore&) = delete;
    FeatureStore& operator=(const FeatureStore&) = delete;

    size_t size() const { return slots_.size(); }
    bool has(size_t i) const { return slots_.at(i).present; }
    void put(size_t i, std::span<const float> values);  // once per sample
    std::vector<float> get(size_t i) const;              // fails for a sample not put

    uint64_t memory_bytes() const { return memory_bytes_; }
    uint64_t spilled_bytes() const { return spilled_bytes_; }

private:
    struct Slot {
        bool present = false;
        std::vector<float> memory;  // empty when spilled
        int64_t offset = -1;        // in the spill file, or -1
        size_t count = 0;
    };
    std::vector<Slot> slots_;
    uint64_t budget_, memory_bytes_ = 0, spilled_bytes_ = 0;
    std::filesystem::path spill_path_;
    int fd_ = -1;
};

}  // namespace vlmq::eval
