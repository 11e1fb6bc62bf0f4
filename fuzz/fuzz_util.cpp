#include "fuzz_util.h"

#include <cstdlib>
#include <fstream>

#include "core/error.h"

namespace vlmq::fuzz {

namespace fs = std::filesystem;

std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

std::vector<std::string_view> split_parts(std::string_view input, size_t n) {
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < n) {
        const size_t nul = input.find('\0');
        if (nul == std::string_view::npos) break;
        parts.push_back(input.substr(0, nul));
        input.remove_prefix(nul + 1);
    }
    parts.push_back(input);
    parts.resize(n);
    return parts;
}

std::string join_parts(const std::vector<std::string>& parts) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out += '\0';
        out += parts[i];
    }
    return out;
}

Scratch& Scratch::get() {
    static Scratch s;
    return s;
}

Scratch::Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = (fs::path(tmp && *tmp ? tmp : "/tmp") / "vlmq-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir_ = tmpl;
    static const fs::path* to_remove = &dir_;
    std::atexit([] {
        std::error_code ec;
        fs::remove_all(*to_remove, ec);
    });
}

void Scratch::reset() {
    for (const auto& e : fs::directory_iterator(dir_)) fs::remove_all(e.path());
}

fs::path Scratch::write(const std::string& name, std::string_view bytes) const {
    const fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) std::abort();
    return p;
}

void run_input(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const vlmq::Error&) {
    }
}

}  // namespace vlmq::fuzz
