#pragma once
// Content hashes of a package's files and tensors (docs/package.md, "Integrity"). A hash is written as
// "<algorithm>:<hex>" so the algorithm can change later; this vlmq writes and checks "xxh3-128" only.
//   file hash:   XXH3-128 of the whole file (what `xxh128sum` prints)
//   tensor hash: XXH3-128 streamed over the data of its stored tensors in stored_tensors order
//                (codes, scales, biases; a float or "keep" tensor: its one stored tensor)
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace vlmq::package {

inline constexpr const char* kHashAlgorithm = "xxh3-128";

std::string hash_bytes(std::span<const std::byte> bytes);
std::string hash_parts(const std::vector<std::span<const std::byte>>& parts);

// Fails naming `where` unless `h` is "xxh3-128:" followed by 32 lower-case hex digits.
void check_hash_syntax(const std::string& h, const std::string& where);

}  // namespace vlmq::package
