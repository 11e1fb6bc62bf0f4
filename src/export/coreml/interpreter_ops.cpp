// The interpreter's runtime ops on NCHW fp32 tensors, implemented with vlmq's kernels (channels-last
// kernels are fed through chw<->hwc transposes).
#include "export/coreml/interpreter_ops.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "core/half.h"
#include "core/shape.h"
#include "kernels/activations.h"
#include "kernels/conv.h"
#include "kernels/linear.h"

namespace vlmq::exporters::coreml::interp {

// ------------------------------------------------------------------------------------------- OpArgs

void OpArgs::error(const std::string& msg) const { fail("op '{}' ({}): {}", name, op.type, msg); }

const Tensor& OpArgs::req(const std::string& p) const {
    auto it = params.find(p);
    if (it == params.end()) error("missing parameter '" + p + "'");
    return *it->second;
}

const Tensor* OpArgs::opt(const std::string& p) const {
    auto it = params.find(p);
    return it == params.end() ? nullptr : it->second;
}

void OpArgs::allow(std::initializer_list<const char*> allowed) const {
    for (const auto& [p, t] : params) {
        bool ok = false;
        for (const char* a : allowed) ok = ok || p == a;
        if (!ok) error("unknown parameter '" + p + "'");
    }
}

int64_t OpArgs::int_scalar(const std::string& p, int64_t dflt) const {
    const Tensor* t = opt(p);
    if (!t) return dflt;
    if (t->i.size() != 1 || !t->shape.empty() || data_type_is_float(t->dtype)) error("'" + p + "' must be an integer scalar");
    return t->i[0];
}

bool OpArgs::bool_scalar(const std::string& p, bool dflt) const {
    const Tensor* t = opt(p);
    if (!t) return dflt;
    if (t->dtype != DataType::Bool || t->i.size() != 1) error("'" + p + "' must be a bool scalar");
    return t->i[0] != 0;
}

std::string OpArgs::string_scalar(const std::string& p, const std::string& dflt) const {
    const Tensor* t = opt(p);
    if (!t) return dflt;
    if (t->dtype != DataType::String || t->s.size() != 1) error("'" + p + "' must be a string scalar");
    return t->s[0];
}

std::vector<int64_t> OpArgs::int_vector(const std::string& p, std::vector<int64_t> dflt) const {
    const Tensor* t = opt(p);
    if (!t) return dflt;
    if (t->shape.size() != 1 || data_type_is_float(t->dtype) || t->dtype == DataType::String)
        error("'" + p + "' must be an integer vector");
    return t->i;
}

Tensor make_f32(std::vector<int64_t> shape) {
    Tensor t;
    t.shape = std::move(shape);
    t.f.resize(size_t(t.numel()));
    return t;
}

float round_fp16(float x) { return f16_to_f32(f32_to_f16(x)); }

namespace {

const Tensor& float_input(const OpArgs& a, const std::string& p) {
    const Tensor& t = a.req(p);
    if (t.dtype != DataType::Float32) a.error("'" + p + "' must be fp32, got " + std::string(data_type_name(t.dtype)));
    return t;
}

int64_t norm_axis(const OpArgs& a, int64_t axis, size_t rank) {
    if (axis < -int64_t(rank) || axis >= int64_t(rank)) a.error("axis " + std::to_string(axis) + " out of range");
    return axis < 0 ? axis + int64_t(rank) : axis;
}

// Visits every index of `shape` in row-major order, calling fn(flat, index).
template <class Fn>
void for_each_index(const std::vector<int64_t>& shape, Fn&& fn) {
    const size_t r = shape.size();
    const int64_t n = vlmq::numel(shape);
    std::vector<int64_t> idx(r, 0);
    for (int64_t k = 0; k < n; ++k) {
        fn(k, idx);
        for (size_t d = r; d-- > 0;) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
    std::vector<int64_t> s(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
    return s;
}

// ------------------------------------------------------------------------------------- elementwise

Tensor binary(const OpArgs& a, bool is_add) {
    a.allow({"x", "y"});
    const Tensor& x = float_input(a, "x");
    const Tensor& y = float_input(a, "y");
    const size_t r = std::max(x.shape.size(), y.shape.size());
    std::vector<int64_t> shape(r), xs(r, 0), ys(r, 0);
    const auto xst = strides_of(x.shape), yst = strides_of(y.shape);
    for (size_t d = 0; d < r; ++d) {
        const int64_t xi = int64_t(d) - int64_t(r - x.shape.size()), yi = int64_t(d) - int64_t(r - y.shape.size());
        const int64_t xd = xi >= 0 ? x.shape[size_t(xi)] : 1, yd = yi >= 0 ? y.shape[size_t(yi)] : 1;
        if (xd != yd && xd != 1 && yd != 1) a.error("shapes " + type_str(x.type()) + " and " + type_str(y.type()) + " do not broadcast");
        shape[d] = std::max(xd, yd);
        if (xi >= 0 && xd != 1) xs[d] = xst[size_t(xi)];
        if (yi >= 0 && yd != 1) ys[d] = yst[size_t(yi)];
    }
    Tensor out = make_f32(shape);
    auto apply = [&](float u, float v) { return is_add ? u + v : u * v; };
    if (x.shape == y.shape) {
        for (size_t k = 0; k < out.f.size(); ++k) out.f[k] = apply(x.f[k], y.f[k]);
        return out;
    }
    for_each_index(shape, [&](int64_t k, const std::vector<int64_t>& idx) {
        int64_t xo = 0, yo = 0;
        for (size_t d = 0; d < r; ++d) xo += idx[d] * xs[d], yo += idx[d] * ys[d];
        out.f[size_t(k)] = apply(x.f[size_t(xo)], y.f[size_t(yo)]);
    });
    return out;
}

Tensor unary(const OpArgs& a, const std::string& type) {
    if (type == "gelu") {
        a.allow({"x", "mode"});
        const std::string mode = a.string_scalar("mode", "EXACT");
        if (mode != "EXACT") a.error("gelu mode '" + mode + "' is not supported (EXACT only)");
    } else {
        a.allow({"x"});
    }
    Tensor out = float_input(a, "x");
    float* p = out.f.data();
    const int64_t n = int64_t(out.f.size());
    if (type == "gelu") kernels::gelu(a.c, p, n);
    else if (type == "relu") kernels::relu(p, n);
    else kernels::sigmoid(p, n);
    return out;
}

Tensor softmax(const OpArgs& a) {
    a.allow({"x", "axis"});
    Tensor out = float_input(a, "x");
    const int64_t axis = norm_axis(a, a.int_scalar("axis", -1), out.shape.size());
    if (axis != int64_t(out.shape.size()) - 1) a.error("softmax over a non-last axis is not supported");
    const int64_t cols = out.shape.back();
    kernels::softmax_rows(a.c, out.f.data(), out.numel() / cols, cols, cols);
    return out;
}

Tensor reduce_mean(const OpArgs& a) {
    a.allow({"x", "axes", "keep_dims"});
    const Tensor& x = float_input(a, "x");
    std::vector<int64_t> all(x.shape.size());
    for (size_t d = 0; d < all.size(); ++d) all[d] = int64_t(d);
    std::set<int64_t> axes;
    for (int64_t ax : a.int_vector("axes", all)) axes.insert(norm_axis(a, ax, x.shape.size()));
    const bool keep = a.bool_scalar("keep_dims", false);
    std::vector<int64_t> kept(x.shape.size());
    int64_t count = 1;
    for (size_t d = 0; d < x.shape.size(); ++d) {
        kept[d] = axes.count(int64_t(d)) ? 1 : x.shape[d];
        if (axes.count(int64_t(d))) count *= x.shape[d];
    }
    const auto ks = strides_of(kept);
    std::vector<double> acc(size_t(x.numel() / std::max<int64_t>(count, 1)), 0.0);
    for_each_index(x.shape, [&](int64_t k, const std::vector<int64_t>& idx) {
        int64_t o = 0;
        for (size_t d = 0; d < idx.size(); ++d)
            if (!axes.count(int64_t(d))) o += idx[d] * ks[d];
        acc[size_t(o)] += x.f[size_t(k)];
    });
    std::vector<int64_t> shape;
    for (size_t d = 0; d < x.shape.size(); ++d)
        if (keep || !axes.count(int64_t(d))) shape.push_back(kept[d]);
    Tensor out = make_f32(shape);
    for (size_t k = 0; k < acc.size(); ++k) out.f[k] = float(acc[k] / double(count));
    return out;
}

Tensor layer_norm(const OpArgs& a) {
    a.allow({"x", "axes", "gamma", "beta", "epsilon"});
    const Tensor& x = float_input(a, "x");
    const size_t r = x.shape.size();
    const std::vector<int64_t> axes = a.int_vector("axes", {});
    if (axes.size() != 1) a.error("only single-axis layer_norm is supported");
    const int64_t axis = norm_axis(a, axes[0], r);
    const bool channels = r == 4 && axis == 1 && x.shape[0] == 1;
    if (!channels && axis != int64_t(r) - 1) a.error("layer_norm supports axes [1] of NCHW or the last axis");
    const int64_t C = x.shape[size_t(axis)], rows = x.numel() / C;
    std::vector<float> gamma(size_t(C), 1.0f), beta(size_t(C), 0.0f);
    for (const char* p : {"gamma", "beta"})
        if (const Tensor* t = a.opt(p)) {
            if (t->shape != std::vector<int64_t>{C} || t->dtype != DataType::Float32) a.error(std::string(p) + " must be fp32[" + std::to_string(C) + "]");
            (std::string(p) == "gamma" ? gamma : beta) = t->f;
        }
    float eps = 1e-5f;
    if (const Tensor* e = a.opt("epsilon")) {
        if (e->dtype != DataType::Float32 || e->f.size() != 1) a.error("epsilon must be an fp32 scalar");
        eps = e->f[0];
    }
    Tensor out = make_f32(x.shape);
    if (channels) {
        std::vector<float> hwc(x.f.size());
        kernels::chw_to_hwc(x.f.data(), C, rows, hwc.data());
        kernels::layer_norm_channel(a.c, hwc.data(), rows, C, gamma.data(), beta.data(), eps, hwc.data());
        kernels::hwc_to_chw(hwc.data(), rows, C, out.f.data());
    } else {
        kernels::layer_norm_channel(a.c, x.f.data(), rows, C, gamma.data(), beta.data(), eps, out.f.data());
    }
    return out;
}

// ------------------------------------------------------------------------------------------ shapes

Tensor reshape(const OpArgs& a) {
    a.allow({"x", "shape"});
    Tensor out = a.req("x");
    std::vector<int64_t> shape = a.int_vector("shape", {});
    int64_t known = 1, infer = -1;
    for (size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == -1) {
            if (infer >= 0) a.error("more than one -1 in shape");
            infer = int64_t(d);
        } else if (shape[d] < 1) {
            a.error("shape entry " + std::to_string(shape[d]) + " is not supported");
        } else {
            known *= shape[d];
        }
    }
    if (infer >= 0 && known > 0) shape[size_t(infer)] = out.numel() / known;
    const int64_t n = vlmq::numel(shape);
    if (n != out.numel()) a.error("cannot reshape " + type_str(out.type()) + " to " + std::to_string(n) + " elements");
    out.shape = shape;
    return out;
}

Tensor transpose(const OpArgs& a) {
    a.allow({"x", "perm"});
    const Tensor& x = float_input(a, "x");
    const std::vector<int64_t> perm = a.int_vector("perm", {});
    const size_t r = x.shape.size();
    if (perm.size() != r) a.error("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(r));
    std::vector<int64_t> shape(r), src_stride(r);
    const auto xs = strides_of(x.shape);
    std::vector<bool> used(r, false);
    for (size_t d = 0; d < r; ++d) {
        const int64_t p = norm_axis(a, perm[d], r);
        if (used[size_t(p)]) a.error("perm is not a permutation");
        used[size_t(p)] = true;
        shape[d] = x.shape[size_t(p)];
        src_stride[d] = xs[size_t(p)];
    }
    Tensor out = make_f32(shape);
    for_each_index(shape, [&](int64_t k, const std::vector<int64_t>& idx) {
        int64_t o = 0;
        for (size_t d = 0; d < r; ++d) o += idx[d] * src_stride[d];
        out.f[size_t(k)] = x.f[size_t(o)];
    });
    return out;
}

Tensor matmul(const OpArgs& a) {
    a.allow({"x", "y", "transpose_x", "transpose_y"});
    const Tensor& x0 = float_input(a, "x");
    const Tensor& y = float_input(a, "y");
    const bool tx = a.bool_scalar("transpose_x", false), ty = a.bool_scalar("transpose_y", false);
    if (x0.shape.size() < 2 || y.shape.size() < 2 || x0.shape.size() != y.shape.size())
        a.error("operands must have the same rank >= 2");
    Tensor xt;
    const Tensor* x = &x0;
    const size_t r = x0.shape.size();
    if (tx) {  // materialize x with its last two dims swapped
        std::vector<int64_t> perm(r);
        for (size_t d = 0; d < r; ++d) perm[d] = int64_t(d);
        std::swap(perm[r - 1], perm[r - 2]);
        const auto xs = strides_of(x0.shape);
        std::vector<int64_t> shape(r), st(r);
        for (size_t d = 0; d < r; ++d) shape[d] = x0.shape[size_t(perm[d])], st[d] = xs[size_t(perm[d])];
        xt = make_f32(shape);
        for_each_index(shape, [&](int64_t k, const std::vector<int64_t>& idx) {
            int64_t o = 0;
            for (size_t d = 0; d < r; ++d) o += idx[d] * st[d];
            xt.f[size_t(k)] = x0.f[size_t(o)];
        });
        x = &xt;
    }
    const int64_t M = x->shape[r - 2], K = x->shape[r - 1];
    const int64_t yK = ty ? y.shape[r - 1] : y.shape[r - 2], N = ty ? y.shape[r - 2] : y.shape[r - 1];
    if (K != yK) a.error("inner dimensions differ: " + type_str(x->type()) + " x " + type_str(y.type()));
    std::vector<int64_t> shape(r);
    int64_t batches = 1;
    for (size_t d = 0; d + 2 < r; ++d) {
        if (x->shape[d] != y.shape[d]) a.error("batch dimensions differ (broadcasting is not supported)");
        shape[d] = x->shape[d];
        batches *= shape[d];
    }
    shape[r - 2] = M, shape[r - 1] = N;
    Tensor out = make_f32(shape);
    for (int64_t bi = 0; bi < batches; ++bi) {
        const float* xp = x->f.data() + bi * M * K;
        const float* yp = y.f.data() + bi * K * N;
        float* op = out.f.data() + bi * M * N;
        if (ty)
            kernels::matmul_f32_nt(a.c, xp, K, yp, K, op, N, M, N, K);
        else
            kernels::matmul_f32(a.c, xp, K, yp, N, op, N, M, N, K);
    }
    return out;
}

// -------------------------------------------------------------------------------------------- conv

Tensor conv(const OpArgs& a) {
    a.allow({"x", "weight", "bias", "strides", "pad_type", "pad", "dilations", "groups"});
    const Tensor& x = float_input(a, "x");
    const Tensor& w = float_input(a, "weight");
    const Tensor* bias = a.opt("bias");
    if (x.shape.size() != 4 || w.shape.size() != 4) a.error("only 2-D convolutions are supported");
    if (x.shape[0] != 1) a.error("batch size must be 1");
    const int64_t cin = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t cout = w.shape[0], kh = w.shape[2], kw = w.shape[3];
    const int64_t groups = a.int_scalar("groups", 1);
    if (groups < 1 || cin % groups != 0 || cin / groups != w.shape[1] || cout % groups != 0)
        a.error("weight " + type_str(w.type()) + " does not fit " + std::to_string(cin) + " input channels with groups " +
                std::to_string(groups));
    const auto strides = a.int_vector("strides", {1, 1});
    const auto dil = a.int_vector("dilations", {1, 1});
    if (strides.size() != 2 || strides[0] != strides[1] || strides[0] < 1) a.error("strides must be equal and positive");
    if (dil != std::vector<int64_t>{1, 1}) a.error("dilations other than 1 are not supported");
    const int64_t stride = strides[0];
    const std::string pad_type = a.string_scalar("pad_type", "valid");
    std::vector<int64_t> pad{0, 0, 0, 0};
    if (pad_type == "custom") {
        pad = a.int_vector("pad", {0, 0, 0, 0});
        if (pad.size() != 4) a.error("pad must have 4 entries");
    } else if (pad_type == "same" && stride == 1 && kh % 2 && kw % 2) {
        pad = {kh / 2, kh / 2, kw / 2, kw / 2};
    } else if (pad_type != "valid") {
        a.error("pad_type '" + pad_type + "' is not supported here");
    }
    if (bias && (bias->shape != std::vector<int64_t>{cout}))
        a.error("bias must have shape [" + std::to_string(cout) + "]");
    const int64_t oh = (H + pad[0] + pad[1] - kh) / stride + 1, ow = (W + pad[2] + pad[3] - kw) / stride + 1;
    Tensor out = make_f32({1, cout, oh, ow});
    const float* b = bias ? bias->f.data() : nullptr;

    const bool same = kh == kw && kh % 2 == 1 && pad == std::vector<int64_t>{kh / 2, kh / 2, kw / 2, kw / 2};
    if (kh == 1 && kw == 1 && groups == 1 && stride == 1 && same) {
        kernels::matmul_f32(a.c, w.f.data(), cin, x.f.data(), H * W, out.f.data(), H * W, cout, H * W, cin);
        if (b)
            for (int64_t o = 0; o < cout; ++o)
                for (int64_t p = 0; p < H * W; ++p) out.f[size_t(o * H * W + p)] += b[o];
        return out;
    }
    if (!same) a.error("only 'same'-size padding (k/2 on every side, odd square kernels) is supported");
    std::vector<float> hwc(x.f.size()), yhwc(out.f.size());
    kernels::chw_to_hwc(x.f.data(), cin, H * W, hwc.data());
    const int k = int(kh);
    if (groups == cin && w.shape[1] == 1) {
        const kernels::DepthwiseShape s{H, W, cin, k, int(stride), int(cout / cin)};
        const auto packed = kernels::pack_depthwise_weights(w.f.data(), cout, k);
        kernels::depthwise_conv_hwc(a.c, s, hwc.data(), packed.data(), b, yhwc.data());
    } else if (groups == 1) {
        const kernels::Conv2dShape s{H, W, cin, cout, k, int(stride)};
        const auto packed = kernels::pack_conv2d_weights(w.f.data(), cout, cin, k);
        kernels::conv2d_hwc(a.c, s, hwc.data(), packed.data(), b, yhwc.data());
    } else {
        a.error("grouped convolutions need groups == 1 or one input channel per group");
    }
    kernels::hwc_to_chw(yhwc.data(), oh * ow, cout, out.f.data());
    return out;
}

}  // namespace

Tensor run_op(const OpArgs& a) {
    const std::string& t = a.op.type;
    if (t == "conv") return conv(a);
    if (t == "add") return binary(a, true);
    if (t == "mul") return binary(a, false);
    if (t == "gelu" || t == "relu" || t == "sigmoid") return unary(a, t);
    if (t == "softmax") return softmax(a);
    if (t == "reduce_mean") return reduce_mean(a);
    if (t == "layer_norm") return layer_norm(a);
    if (t == "reshape") return reshape(a);
    if (t == "transpose") return transpose(a);
    if (t == "matmul") return matmul(a);
    if (t == "constexpr_cast") return constexpr_cast(a);
    if (t == "constexpr_affine_dequantize") return constexpr_affine_dequantize(a);
    if (t == "constexpr_blockwise_shift_scale") return constexpr_blockwise_shift_scale(a);
    if (t == "constexpr_lut_to_dense") return constexpr_lut_to_dense(a);
    a.error("unsupported operation type");
}

}  // namespace vlmq::exporters::coreml::interp
