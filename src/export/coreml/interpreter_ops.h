#pragma once
// Internal to the interpreter: one operation's resolved parameters and the op implementations.
#include <initializer_list>
#include <map>
#include <string>

#include "export/coreml/interpreter.h"

namespace vlmq::exporters::coreml::interp {

struct OpArgs {
    const Operation& op;
    std::string name;                             // op name (errors)
    std::map<std::string, const Tensor*> params;  // inputs, and constexpr parameters given as attributes
    const Compute& c;

    // Fails "op 'n' (type): ..." naming the parameter.
    const Tensor& req(const std::string& p) const;
    const Tensor* opt(const std::string& p) const;
    // Fails when a parameter outside `allowed` is present.
    void allow(std::initializer_list<const char*> allowed) const;
    [[noreturn]] void error(const std::string& msg) const;

    // Typed parameter helpers (const scalars / vectors).
    int64_t int_scalar(const std::string& p, int64_t dflt) const;
    bool bool_scalar(const std::string& p, bool dflt) const;
    std::string string_scalar(const std::string& p, const std::string& dflt) const;
    std::vector<int64_t> int_vector(const std::string& p, std::vector<int64_t> dflt) const;
};

// Runs op.type on the arguments; returns the single output.
Tensor run_op(const OpArgs& a);

// constexpr_* decoders (interpreter_constexpr.cpp).
Tensor constexpr_cast(const OpArgs& a);
Tensor constexpr_affine_dequantize(const OpArgs& a);
Tensor constexpr_blockwise_shift_scale(const OpArgs& a);
Tensor constexpr_lut_to_dense(const OpArgs& a);

// Helpers shared by the op files.
Tensor make_f32(std::vector<int64_t> shape);
float round_fp16(float x);

}  // namespace vlmq::exporters::coreml::interp
