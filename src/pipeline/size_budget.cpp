#include "pipeline/size_budget.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "calib/calib_stats.h"
#include "pipeline/progressive.h"
#include "arch/arch_table.h"
#include "qformat/dequant.h"
#include "quant/plan.h"
#include "quant/quantizer.h"
#include "quant/tensor_quantizer.h"
#include "rounding/rtn.h"

namespace vlmq::pipeline {

namespace {

// The ladder a unit descends; each rung is a precision below the previous one.
const std::vector<std::string> kLadder = {"f16", "int8", "int4", "int3"};

int rung_of(const quant::PlanEntry& e) {
    if (e.keep || !e.precision.format.is_int()) return 0;
    const int bits = e.precision.format.bits;
    return bits >= 8 ? 1 : bits >= 4 ? 2 : 3;
}

// Relative output error of one tensor at a precision: sum_j imp_j sum_r (w - w_hat)^2 / sum_j imp_j sum_r w^2.
double tensor_loss(const io::Checkpoint& ckpt, const quant::PlanEntry& e, const qformat::Format& f,
                   const calib::CalibrationStats* stats, const Compute& c) {
    const io::TensorRef& ref = ckpt.at(e.tensor.name);
    qformat::QMatrixBuffer q(qformat::fit_group_size(f, e.cols, nullptr), e.rows, e.cols);
    rounding::quantize_rtn(c, ref.bytes().data(), e.tensor.dtype, q.mut());
    const calib::InputStats* in = stats ? stats->find(e.tensor.name) : nullptr;
    const std::vector<float> imp = in && in->k == e.cols ? in->importance() : std::vector<float>(size_t(e.cols), 1.0f);
    std::vector<float> w(static_cast<size_t>(e.cols)), wq(static_cast<size_t>(e.cols));
    double num = 0, den = 0;
    const size_t esize = dtype_size(e.tensor.dtype);
    Compute serial = c;
    serial.pool = nullptr;
    for (int64_t r = 0; r < e.rows; ++r) {
        qformat::convert_to_f32(serial, ref.bytes().data() + size_t(r * e.cols) * esize, e.tensor.dtype, e.cols,
                                w.data());
        qformat::dequantize_rows(serial, q.view(), r, 1, wq.data());
        for (int64_t j = 0; j < e.cols; ++j) {
            const double d = double(w[size_t(j)]) - wq[size_t(j)];
            num += imp[size_t(j)] * d * d;
            den += imp[size_t(j)] * double(w[size_t(j)]) * w[size_t(j)];
        }
    }
    ref.release();
    return den > 0 ? num / den : 0.0;
}

}  // namespace

SizeBudgetResult fit_size_budget(const io::Checkpoint& ckpt, const quant::QuantConfig& config, int64_t target_bytes,
                                 const calib::CalibrationStats* stats, const Compute& c) {
    const auto arch = arch::arch_table_for_config(ckpt.config(), (ckpt.dir() / "config.json").string());
    const auto tensors = quant::checkpoint_tensors(ckpt);
    SizeBudgetResult out;
    out.config = config;
    auto plan_bytes = [&](const quant::Plan& p) {
        int64_t b = 0;
        for (const auto& e : p.entries) b += e.stored_bytes();
        return b;
    };
    quant::Plan plan = quant::make_plan(tensors, arch, out.config);
    out.bytes_before = out.bytes_after = plan_bytes(plan);
    std::map<std::pair<std::string, int>, double> loss_cache;
    while (out.bytes_after > target_bytes) {
        // Candidate moves: each unit whose quantizable tensors all sit on the same rung, one rung down.
        std::map<std::string, std::vector<const quant::PlanEntry*>> units;
        for (const auto& e : plan.entries)
            if (!e.unit.empty() && e.tensor.dtype != DType::I64 &&
                !(e.keep && e.reason == quant::PlanReason::NeverQuantized))
                units[e.unit].push_back(&e);
        double best_score = INFINITY;
        std::string best_unit;
        int best_rung = 0;
        int64_t best_saving = 0;
        double best_loss = 0;
        for (const auto& [unit, entries] : units) {
            // Units whose tensors sit on different rungs are left alone: one override per unit must not raise any.
            const int rung = rung_of(*entries.front());
            bool uniform = true;
            for (const auto* e : entries) uniform = uniform && rung_of(*e) == rung;
            if (!uniform || rung + 1 >= int(kLadder.size())) continue;
            const quant::Precision next = quant::parse_precision(kLadder[size_t(rung + 1)], "ladder");
            int64_t saving = 0;
            double loss = 0;
            for (const auto* e : entries) {
                saving += e->stored_bytes() - qformat::stored_bytes(qformat::fit_group_size(next.format, e->cols, nullptr),
                                                                    e->rows, e->cols);
                auto key = std::make_pair(e->tensor.name, rung + 1);
                if (!loss_cache.count(key)) loss_cache[key] = tensor_loss(ckpt, *e, next.format, stats, c);
                loss += loss_cache[key];
            }
            if (saving <= 0) continue;
            const double score = loss / double(saving);
            if (score < best_score) {
                best_score = score;
                best_unit = unit;
                best_rung = rung + 1;
                best_saving = saving;
                best_loss = loss;
            }
        }
        if (best_unit.empty()) break;  // nothing left to lower
        quant::Precision p = quant::parse_precision(kLadder[size_t(best_rung)], "ladder");
        out.config.overrides.insert(out.config.overrides.begin(), {quant::unit_regex(best_unit), p});
        out.moves.push_back(fmt::format("{} -> {} (saves {:.2f} MB, loss {:.5f})", best_unit, p.format.name(),
                                        double(best_saving) / 1e6, best_loss));
        plan = quant::make_plan(tensors, arch, out.config);
        out.bytes_after = plan_bytes(plan);
    }
    out.fits = out.bytes_after <= target_bytes;
    return out;
}

}  // namespace vlmq::pipeline
