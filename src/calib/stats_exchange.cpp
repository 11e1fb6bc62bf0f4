#include "calib/stats_exchange.h"

#include <cstring>

#include "core/distributed.h"
#include "core/error.h"

namespace vlmq::calib {

namespace {

// Wire form of one weight's statistics: name, counts, then the raw double/float arrays. Both ends are the
// same vlmq binary, so native byte order and layout are shared; lengths are still checked.
class Writer {
public:
    template <class T>
    void put(const T& v) { append(&v, sizeof(T)); }
    template <class T>
    void put_array(const std::vector<T>& v) {
        put(uint64_t(v.size()));
        append(v.data(), v.size() * sizeof(T));
    }
    void put_string(const std::string& s) {
        put(uint64_t(s.size()));
        append(s.data(), s.size());
    }
    std::vector<std::byte> bytes;

private:
    void append(const void* p, size_t n) {
        const size_t at = bytes.size();
        bytes.resize(at + n);
        if (n) std::memcpy(bytes.data() + at, p, n);
    }
};

class Reader {
public:
    explicit Reader(std::span<const std::byte> b) : b_(b) {}
    template <class T>
    T get() {
        T v;
        take(&v, sizeof(T));
        return v;
    }
    template <class T>
    std::vector<T> get_array() {
        const uint64_t n = get<uint64_t>();
        if (n > (b_.size() - at_) / sizeof(T)) fail("calibration statistics message truncated");
        std::vector<T> v(static_cast<size_t>(n));
        take(v.data(), v.size() * sizeof(T));
        return v;
    }
    std::string get_string() {
        const auto v = get_array<char>();
        return std::string(v.begin(), v.end());
    }

private:
    void take(void* p, size_t n) {
        if (n > b_.size() - at_) fail("calibration statistics message truncated");
        if (n) std::memcpy(p, b_.data() + at_, n);
        at_ += n;
    }
    std::span<const std::byte> b_;
    size_t at_ = 0;
};

std::vector<std::byte> encode(const std::string& name, const InputStats& s) {
    Writer w;
    w.put_string(name);
    w.put(s.k);
    w.put(s.rows);
    w.put(s.xtx_rows);
    w.put_array(s.sum_sq);
    w.put_array(s.sum_abs);
    w.put_array(s.max_abs);
    w.put_array(s.xtx);
    return std::move(w.bytes);
}

std::pair<std::string, InputStats> decode(std::span<const std::byte> bytes) {
    Reader r(bytes);
    std::pair<std::string, InputStats> out;
    out.first = r.get_string();
    InputStats& s = out.second;
    s.k = r.get<int64_t>();
    s.rows = r.get<int64_t>();
    s.xtx_rows = r.get<int64_t>();
    s.sum_sq = r.get_array<double>();
    s.sum_abs = r.get_array<double>();
    s.max_abs = r.get_array<float>();
    s.xtx = r.get_array<double>();
    const size_t k = size_t(s.k);
    if (s.sum_sq.size() != k || s.sum_abs.size() != k || s.max_abs.size() != k || (!s.xtx.empty() && s.xtx.size() != k * k))
        fail("calibration statistics message of '{}' is inconsistent", out.first);
    return out;
}

std::vector<std::byte> encode_header(const CalibrationStats& stats) {
    Writer w;
    w.put(uint64_t(stats.all().size()));
    w.put(stats.samples);
    return std::move(w.bytes);
}

}  // namespace

void send_stats(int to, const CalibrationStats& stats) {
    dist::send(to, encode_header(stats));
    for (const auto& [name, s] : stats.all()) dist::send(to, encode(name, s));
}

void receive_and_merge(int from, CalibrationStats& into) {
    const std::vector<std::byte> header = dist::receive(from);
    Reader r(header);
    const uint64_t n = r.get<uint64_t>();
    into.samples += r.get<int64_t>();
    for (uint64_t i = 0; i < n; ++i) {
        auto [name, s] = decode(dist::receive(from));
        into.merge(name, std::move(s));
    }
}

std::unique_ptr<CalibrationStats> broadcast_stats(std::unique_ptr<CalibrationStats> stats, int root) {
    if (dist::size() == 1) return stats;
    const bool sender = dist::rank() == root;
    std::vector<std::byte> header;
    std::string provenance;
    if (sender) {
        header = encode_header(*stats);
        provenance = stats->provenance.dump();
    }
    dist::broadcast(header, root);
    std::vector<std::byte> prov(provenance.size());
    std::memcpy(prov.data(), provenance.data(), prov.size());
    dist::broadcast(prov, root);
    Reader r(header);
    const uint64_t n = r.get<uint64_t>();
    const int64_t samples = r.get<int64_t>();
    if (sender) {
        for (const auto& [name, s] : stats->all()) {
            std::vector<std::byte> b = encode(name, s);
            dist::broadcast(b, root);
        }
        return stats;
    }
    auto received = std::make_unique<CalibrationStats>();
    for (uint64_t i = 0; i < n; ++i) {
        std::vector<std::byte> b;
        dist::broadcast(b, root);
        auto [name, s] = decode(b);
        received->merge(name, std::move(s));
    }
    received->samples = samples;
    received->provenance =
        parse_ordered_json(std::string_view(reinterpret_cast<const char*>(prov.data()), prov.size()), "provenance");
    return received;
}

}  // namespace vlmq::calib
