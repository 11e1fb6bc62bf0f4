#pragma once
// Shared by the libFuzzer targets (docs/fuzzing.md): splitting one input into several files, a scratch
// directory for entry points that take paths, and the rule that bad input may only fail with vlmq::Error.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vlmq::fuzz {

// The input as text.
std::string_view as_text(const uint8_t* data, size_t size);

// Splits at the first n - 1 NUL bytes: exactly n parts, missing ones empty; the last part keeps any further
// NULs (so a binary part goes last). The seed generator joins files the same way (join_parts).
std::vector<std::string_view> split_parts(std::string_view input, size_t n);
std::string join_parts(const std::vector<std::string>& parts);

// One directory per process under $TMPDIR, emptied by reset() and removed at exit.
class Scratch {
public:
    static Scratch& get();
    const std::filesystem::path& dir() const { return dir_; }
    void reset();  // removes everything in dir()
    std::filesystem::path write(const std::string& name, std::string_view bytes) const;

private:
    Scratch();
    std::filesystem::path dir_;
};

// Runs fn on one input. A vlmq::Error is the expected answer to bad input and is swallowed; anything else
// (another exception, a crash, a sanitizer report) escapes and is a finding.
void run_input(const std::function<void()>& fn);

}  // namespace vlmq::fuzz
