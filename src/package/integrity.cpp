#include "package/integrity.h"

#include <fmt/format.h>
#include <xxhash.h>

#include "core/error.h"

namespace vlmq::package {

namespace {

std::string render(XXH128_hash_t h) { return fmt::format("{}:{:016x}{:016x}", kHashAlgorithm, h.high64, h.low64); }

}  // namespace

std::string hash_bytes(std::span<const std::byte> bytes) { return render(XXH3_128bits(bytes.data(), bytes.size())); }

std::string hash_parts(const std::vector<std::span<const std::byte>>& parts) {
    XXH3_state_t* st = XXH3_createState();
    if (!st) throw std::bad_alloc();
    XXH3_128bits_reset(st);
    for (const auto& p : parts) XXH3_128bits_update(st, p.data(), p.size());
    const XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return render(h);
}

void check_hash_syntax(const std::string& h, const std::string& where) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos) fail("{}: hash '{}' lacks its algorithm prefix ('{}:')", where, h, kHashAlgorithm);
    if (h.compare(0, colon, kHashAlgorithm) != 0)
        fail("{}: hash algorithm '{}' is not supported (this vlmq checks {})", where, h.substr(0, colon),
             kHashAlgorithm);
    const std::string hex = h.substr(colon + 1);
    if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
        fail("{}: hash '{}' is not {} followed by 32 hex digits", where, h, kHashAlgorithm);
}

}  // namespace vlmq::package
