#include "eval/feature_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace vlmq::eval {

FeatureStore::FeatureStore(size_t samples, uint64_t memory_budget_bytes, std::filesystem::path spill_file)
    : slots_(samples), budget_(memory_budget_bytes), spill_path_(std::move(spill_file)) {}

FeatureStore::~FeatureStore() {
    if (fd_ < 0) return;
    ::close(fd_);
    std::error_code ec;
    std::filesystem::remove(spill_path_, ec);
}

void FeatureStore::put(size_t i, std::span<const float> values) {
    Slot& s = slots_.at(i);
    if (s.present) fail("feature store: sample {} stored twice", i);
    const uint64_t bytes = values.size_bytes();
    s.present = true;
    s.count = values.size();
    if (memory_bytes_ + bytes <= budget_) {
        s.memory.assign(values.begin(), values.end());
        memory_bytes_ += bytes;
        return;
    }
    if (fd_ < 0) {
        fd_ = ::open(spill_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd_ < 0) fail("{}: cannot create the feature spill file: {}", spill_path_.string(), std::strerror(errno));
    }
    s.offset = int64_t(spilled_bytes_);
    const char* p = reinterpret_cast<const char*>(values.data());
    for (uint64_t done = 0; done < bytes;) {
        const ssize_t n = ::pwrite(fd_, p + done, bytes - done, off_t(s.offset) + off_t(done));
        if (n <= 0) fail("{}: write failed: {}", spill_path_.string(), std::strerror(errno));
        done += uint64_t(n);
    }
    spilled_bytes_ += bytes;
}

std::vector<float> FeatureStore::get(size_t i) const {
    const Slot& s = slots_.at(i);
    if (!s.present) fail("feature store: sample {} was not stored", i);
    if (s.offset < 0) return s.memory;
    std::vector<float> out(s.count);
    char* p = reinterpret_cast<char*>(out.data());
    const uint64_t bytes = s.count * sizeof(float);
    for (uint64_t done = 0; done < bytes;) {
        const ssize_t n = ::pread(fd_, p + done, bytes - done, off_t(s.offset) + off_t(done));
        if (n <= 0) fail("{}: read failed: {}", spill_path_.string(), n == 0 ? "unexpected end" : std::strerror(errno));
        done += uint64_t(n);
    }
    return out;
}

}  // namespace vlmq::eval
