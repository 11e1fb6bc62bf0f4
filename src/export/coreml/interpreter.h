#pragma once
// A reference interpreter for the ML Programs vlmq writes: runs each operation of the decoded program in
// order with vlmq's fp32 kernels, resolving constants from immediate values and weight.bin blobs, so an
// exported package can be checked against the engine without Core ML. It is strict: an unknown op, an
// unknown or missing parameter, a type or shape that disagrees with the op's declared output, or a blob
// reference that does not resolve to a matching record fails with a one-line error naming the op.
// Supported: const, constexpr_cast, constexpr_affine_dequantize, constexpr_blockwise_shift_scale,
// constexpr_lut_to_dense (iOS16 form), conv (1x1, depthwise/grouped with one input channel per group,
// dense kxk; "same"-size padding), add, mul, gelu (EXACT), relu, sigmoid, softmax, reduce_mean,
// layer_norm (axes [1] of NCHW or the last axis), reshape, transpose, matmul. Batch size 1.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "export/coreml/blob_storage.h"
#include "export/coreml/mil_ir.h"
#include "core/compute.h"

namespace vlmq::exporters::coreml {

// A runtime value: float types (fp16 values already rounded) in f, integer and bool types in i, strings in s.
struct Tensor {
    DataType dtype = DataType::Float32;
    std::vector<int64_t> shape;
    std::vector<float> f;
    std::vector<int64_t> i;
    std::vector<std::string> s;

    int64_t numel() const;
    TensorType type() const { return {dtype, shape}; }
};

using BlobResolver = std::function<const BlobReader&(const std::string& file_name)>;

// A Value (immediate or blob) as a Tensor; checks element counts, blob types and sizes.
Tensor decode_value(const Value& v, const BlobResolver& blobs, const std::string& where);

class Interpreter {
public:
    // `spec` and whatever `blobs` returns must outlive the interpreter.
    Interpreter(const ModelSpec& spec, BlobResolver blobs, Compute compute);

    // Called after each non-const op with its resolved parameters and result (tests, debugging).
    using OpObserver = std::function<void(const Operation& op, const std::map<std::string, const Tensor*>& params,
                                          const Tensor& out)>;

    // Runs function "main"; inputs by name (types must match the function's inputs). Returns its outputs.
    std::map<std::string, Tensor> run(const std::map<std::string, Tensor>& inputs, const OpObserver& observe = {}) const;
    // The value of a const / constexpr_* variable (decompressed), e.g. to compare exported weights.
    Tensor constant(const std::string& var) const;
    // Decodes every const / constexpr_* variable in program order and passes it to fn.
    void visit_constants(const std::function<void(const std::string& var, const Tensor& value)>& fn) const;

private:
    const Function& main() const;
    const ModelSpec& spec_;
    BlobResolver blobs_;
    Compute c_;
};

}  // namespace vlmq::exporters::coreml
