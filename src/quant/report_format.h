#pragma once
// Human-readable tables for quantization reports (stdout of `quantize` and `inspect`).
#include <string>
#include <vector>

#include "core/json_util.h"
#include "quant/quantizer.h"

namespace vlmq::quant {

std::string format_mb(double bytes);
std::string format_params(double n);

// Component table + totals. `tensor_rows` > 0 also lists that many highest-error tensors; -1 lists all.
std::string format_report(const QuantizeReport& r, int tensor_rows);
ordered_json report_json(const QuantizeReport& r, bool with_tensors);

}  // namespace vlmq::quant
