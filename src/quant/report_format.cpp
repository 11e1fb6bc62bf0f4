#include "quant/report_format.h"

#include <fmt/format.h>

#include <algorithm>

#include "quant/manifest.h"

namespace vlmq::quant {

std::string format_mb(double bytes) { return fmt::format("{:.1f}", bytes / 1e6); }

std::string format_params(double n) {
    if (n >= 1e9) return fmt::format("{:.2f} B", n / 1e9);
    if (n >= 1e6) return fmt::format("{:.1f} M", n / 1e6);
    if (n >= 1e3) return fmt::format("{:.1f} K", n / 1e3);
    return fmt::format("{:.0f}", n);
}

std::string format_report(const QuantizeReport& r, int tensor_rows) {
    std::string s;
    s += fmt::format("{:<16} {:>7} {:>10} {:>12} {:>11} {:>7} {:>10} {:>10}\n", "component", "tensors", "params",
                     "before (MB)", "after (MB)", "bits/w", "mean err", "worst err");
    for (const auto& c : r.components)
        s += fmt::format("{:<16} {:>7} {:>10} {:>12} {:>11} {:>7.2f} {:>10.4f} {:>10.4f}\n", c.name, c.tensors,
                         format_params(double(c.params)), format_mb(double(c.bytes_before)),
                         format_mb(double(c.bytes_after)), c.bits_per_weight(), c.mean_rel_error(), c.worst_rel_error);
    s += fmt::format("{:<16} {:>7} {:>10} {:>12} {:>11} {:>7.2f}\n", "total", r.tensors.size(),
                     format_params(double(r.params)), format_mb(double(r.bytes_before)), format_mb(double(r.bytes_after)),
                     r.params ? double(r.bytes_after) * 8.0 / double(r.params) : 0.0);
    int fallbacks = 0;
    for (const auto& t : r.tensors) fallbacks += !t.entry->note.empty();
    if (fallbacks) {
        s += fmt::format("shape fallbacks ({} tensors; rule in docs/formats.md):\n", fallbacks);
        int shown = 0;
        for (const auto& t : r.tensors)
            if (!t.entry->note.empty() && (tensor_rows < 0 || shown++ < 5))
                s += fmt::format("  {}  {}\n", t.entry->tensor.name, t.entry->note);
        if (tensor_rows >= 0 && fallbacks > 5) s += fmt::format("  ... {} more (--tensors lists all)\n", fallbacks - 5);
    }
    if (tensor_rows != 0) {
        std::vector<const TensorReport*> sorted;
        for (const auto& t : r.tensors)
            if (!t.entry->keep) sorted.push_back(&t);
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const TensorReport* a, const TensorReport* b) { return a->rel_error > b->rel_error; });
        if (tensor_rows > 0 && int(sorted.size()) > tensor_rows) sorted.resize(size_t(tensor_rows));
        s += fmt::format("{}:\n", tensor_rows > 0 ? "highest-error tensors" : "tensors");
        s += fmt::format("  {:<70} {:<14} {:>9} {:>8} {:>10}\n", "tensor", "format", "rel err", "SQNR dB", "bytes");
        for (const auto* t : sorted)
            s += fmt::format("  {:<70} {:<14} {:>9.5f} {:>8.2f} {:>10}\n", t->entry->tensor.name,
                             t->entry->precision.format.name(), t->rel_error, t->sqnr_db, t->stored_bytes);
    }
    return s;
}

ordered_json report_json(const QuantizeReport& r, bool with_tensors) {
    ordered_json j;
    j["source_hash"] = r.source_hash;
    j["seconds"] = r.seconds;
    j["components"] = components_json(r.components);
    j["totals"] = {{"tensors", r.tensors.size()},
                   {"params", r.params},
                   {"bytes_before", r.bytes_before},
                   {"bytes_after", r.bytes_after},
                   {"package_bytes", r.package_bytes},
                   {"bits_per_weight", r.params ? double(r.bytes_after) * 8.0 / double(r.params) : 0.0}};
    if (with_tensors) {
        ordered_json ts = ordered_json::array();
        for (const auto& t : r.tensors) {
            const PlanEntry& e = *t.entry;
            ts.push_back({{"name", e.tensor.name},
                          {"component", e.component},
                          {"shape", e.tensor.shape},
                          {"format", e.keep ? std::string("keep") : e.precision.format.name()},
                          {"bytes", t.stored_bytes},
                          {"rel_error", t.rel_error},
                          {"sqnr_db", finite_or_null(t.sqnr_db)},
                          {"fallback", e.note}});
        }
        j["tensors"] = ts;
    }
    return j;
}

}  // namespace vlmq::quant
