#include "qformat/format.h"

#include <fmt/format.h>

#include <charconv>

#include "core/error.h"
#include "qformat/format_traits.h"

namespace vlmq::qformat {

std::string Format::name() const {
    const EncodingTraits& t = traits_of(encoding);
    if (t.float_format) return std::string(t.name);
    const std::string group = group_size == 0 ? "row" : fmt::format("g{}", group_size);
    return fmt::format("{}{}_{}_{}", t.name, bits, group, symmetric ? "sym" : "aff");
}

bool group_size_supported(int group_size) {
    for (int g : kGroupSizes)
        if (g == group_size) return true;
    return false;
}

std::string group_sizes_text() {
    std::string out;
    for (int g : kGroupSizes) out += fmt::format("g{}, ", g);
    return out + "row";
}

std::optional<Format> Format::parse(std::string_view s, std::string* why) {
    auto reject = [why](std::string reason) -> std::optional<Format> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    for (const EncodingTraits& t : kEncodingTraits)
        if (t.float_format && s == t.name) return t.float_format();
    // int<b>_<g<n>|row>_<sym|aff>
    const std::string_view prefix = traits_of(Encoding::Int).name;
    const char* const expected = "expected f32, f16, bf16 or int<bits>_<g<size>|row>_<sym|aff>";
    if (!s.starts_with(prefix)) return reject(expected);
    s.remove_prefix(prefix.size());
    auto parse_int = [](std::string_view t, int& out) {
        auto r = std::from_chars(t.data(), t.data() + t.size(), out);
        return r.ec == std::errc() && r.ptr == t.data() + t.size();
    };
    const size_t a = s.find('_');
    const size_t b = a == std::string_view::npos ? a : s.find('_', a + 1);
    if (b == std::string_view::npos) return reject(expected);
    Format f;
    f.encoding = Encoding::Int;
    if (!parse_int(s.substr(0, a), f.bits) || f.bits < 2 || f.bits > 8)
        return reject(fmt::format("bits '{}' are not supported (allowed: 2..8)", s.substr(0, a)));
    const std::string_view g = s.substr(a + 1, b - a - 1);
    if (g == "row") {
        f.group_size = 0;
    } else if (!g.starts_with("g") || !parse_int(g.substr(1), f.group_size) || !group_size_supported(f.group_size)) {
        return reject(fmt::format("group '{}' is not supported (allowed: {})", g, group_sizes_text()));
    }
    const std::string_view k = s.substr(b + 1);
    if (k == "sym")
        f.symmetric = true;
    else if (k == "aff")
        f.symmetric = false;
    else
        return reject(fmt::format("suffix '{}' is not supported (allowed: sym, aff)", k));
    return f;
}

Layout layout_of(const Format& f, int64_t rows, int64_t cols) {
    Layout l;
    l.rows = rows;
    l.cols = cols;
    l.row_bytes = row_bytes_of(f, cols);
    if (!f.is_int()) return l;
    if (f.bits < 2 || f.bits > 8) fail("format {}: bits must be 2..8", f.name());
    l.group = f.group_size == 0 ? cols : f.group_size;
    if (l.group <= 0 || cols % l.group != 0)
        fail("format {}: group size {} does not divide row length {}", f.name(), l.group, cols);
    l.groups_per_row = cols / l.group;
    return l;
}

int64_t stored_bytes(const Format& f, int64_t rows, int64_t cols) {
    const Layout l = layout_of(f, rows, cols);
    int64_t n = l.code_bytes();
    if (f.is_int()) n += l.scale_count() * 2 * (f.symmetric ? 1 : 2);
    return n;
}

double Format::bits_per_weight(int64_t cols) const {
    if (cols <= 0) return 0;
    return double(stored_bytes(*this, 1, cols)) * 8.0 / double(cols);
}

Format fit_group_size(const Format& f, int64_t cols, std::string* note) {
    if (!f.is_int() || f.group_size == 0 || cols % f.group_size == 0) return f;
    Format out = f;
    out.group_size = 0;
    for (int g : {128, 64, 32})
        if (g < f.group_size && cols % g == 0) {
            out.group_size = g;
            break;
        }
    if (note)
        *note = out.group_size ? fmt::format("group {} -> {} (cols {})", f.group_size, out.group_size, cols)
                               : fmt::format("group {} -> row (cols {})", f.group_size, cols);
    return out;
}

}  // namespace vlmq::qformat
