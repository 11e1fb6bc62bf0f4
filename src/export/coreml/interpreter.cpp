#include "export/coreml/interpreter.h"

#include "core/error.h"
#include "export/coreml/interpreter_ops.h"
#include "export/coreml/target.h"

namespace vlmq::exporters::coreml {

namespace {

bool is_constexpr(const std::string& type) { return type.rfind("constexpr_", 0) == 0; }

std::string op_name(const Operation& op) {
    auto it = op.attributes.find("name");
    if (it != op.attributes.end()) {
        const auto* im = std::get_if<Immediate>(&it->second.data);
        if (im && im->strings.size() == 1) return im->strings[0];
    }
    return op.outputs.empty() ? "?" : op.outputs[0].name;
}

}  // namespace

Interpreter::Interpreter(const ModelSpec& spec, BlobResolver blobs, Compute compute)
    : spec_(spec), blobs_(std::move(blobs)), c_(compute) {
    main();
}

const Function& Interpreter::main() const {
    auto it = spec_.program.functions.find("main");
    if (it == spec_.program.functions.end()) fail("ML Program has no function 'main'");
    return it->second;
}

namespace {

using Visitor = std::function<void(const std::string&, const Tensor&)>;
using Observer = Interpreter::OpObserver;

// Executes the ops in order into env, stopping once `stop_after` is produced. With a visitor, every result is
// passed to it and dropped (constants only).
void execute(const Function& fn, const BlobResolver& blobs, const Compute& c, std::map<std::string, Tensor>& env,
             const std::string& stop_after, bool free_dead, const Visitor& visit = {}, const Observer& observe = {}) {
    const auto target = target_of_opset(fn.opset);
    if (!target) fail("function 'main': unknown opset '{}'", fn.opset);
    const auto& ops = fn.block.operations;
    std::map<std::string, size_t> last_use;
    for (size_t i = 0; i < ops.size(); ++i)
        for (const auto& [p, bindings] : ops[i].inputs)
            for (const Binding& b : bindings)
                if (!b.value) last_use[b.name] = i;
    for (const std::string& o : fn.block.outputs) last_use[o] = ops.size();

    for (size_t i = 0; i < ops.size(); ++i) {
        const Operation& op = ops[i];
        const std::string name = op_name(op);
        auto err = [&](const std::string& msg) { fail("op '{}' ({}): {}", name, op.type, msg); };
        if (op.outputs.size() != 1) err(fmt::format("{} outputs (expected 1)", op.outputs.size()));
        const NamedType& out_decl = op.outputs[0];
        if (env.count(out_decl.name)) err("variable '" + out_decl.name + "' is defined twice");
        Tensor out;
        if (op.type == "const") {
            for (const auto& [k, v] : op.attributes)
                if (k != "name" && k != "val") err("unexpected attribute '" + k + "'");
            if (!op.inputs.empty()) err("const takes no inputs");
            auto it = op.attributes.find("val");
            if (it == op.attributes.end()) err("missing attribute 'val'");
            out = decode_value(it->second, blobs, "const '" + name + "'");
        } else {
            std::map<std::string, Tensor> owned;
            interp::OpArgs args{op, name, {}, c};
            const bool cx = is_constexpr(op.type);
            if (op.type == "constexpr_blockwise_shift_scale" && *target != Target::iOS18)
                err("needs opset CoreML8 (iOS18), the function is " + fn.opset);
            for (const auto& [p, bindings] : op.inputs) {
                if (bindings.size() != 1) err("parameter '" + p + "' has " + std::to_string(bindings.size()) + " bindings");
                const Binding& b = bindings[0];
                if (b.value) {
                    if (!cx) err("parameter '" + p + "' is an inline value; regular ops bind const variables");
                    if (*target != Target::iOS18)
                        err("constexpr parameter '" + p + "' is an input; before iOS18 they are attributes");
                    args.params[p] = &(owned[p] = decode_value(*b.value, blobs, "op '" + name + "' parameter '" + p + "'"));
                } else {
                    auto it = env.find(b.name);
                    if (it == env.end()) err("parameter '" + p + "' refers to unknown variable '" + b.name + "'");
                    if (cx) err("constexpr parameter '" + p + "' must be a value, not a variable");
                    args.params[p] = &it->second;
                }
            }
            for (const auto& [k, v] : op.attributes) {
                if (k == "name") continue;
                if (!cx) err("unexpected attribute '" + k + "'");
                if (*target == Target::iOS18) err("constexpr parameter '" + k + "' is an attribute; iOS18 uses inputs");
                args.params[k] = &(owned[k] = decode_value(v, blobs, "op '" + name + "' attribute '" + k + "'"));
            }
            out = interp::run_op(args);
            if (observe) observe(op, args.params, out);
        }
        if (out.type() != out_decl.type)
            err("computes " + type_str(out.type()) + " but declares " + type_str(out_decl.type));
        if (visit) {
            visit(out_decl.name, out);
            continue;
        }
        env[out_decl.name] = std::move(out);
        if (out_decl.name == stop_after) return;
        if (free_dead)
            for (const auto& [p, bindings] : op.inputs)
                for (const Binding& b : bindings)
                    if (!b.value && last_use[b.name] == i) env.erase(b.name);
    }
    if (!stop_after.empty()) fail("no variable '{}' in the program", stop_after);
}

}  // namespace

std::map<std::string, Tensor> Interpreter::run(const std::map<std::string, Tensor>& inputs,
                                               const OpObserver& observe) const {
    const Function& fn = main();
    std::map<std::string, Tensor> env;
    for (const NamedType& in : fn.inputs) {
        auto it = inputs.find(in.name);
        if (it == inputs.end()) fail("missing model input '{}'", in.name);
        if (it->second.type() != in.type)
            fail("model input '{}' is {} but the model expects {}", in.name, type_str(it->second.type()), type_str(in.type));
        if (it->second.f.size() != size_t(in.type.numel())) fail("model input '{}' has {} values", in.name, it->second.f.size());
        env[in.name] = it->second;
    }
    for (const auto& [name, t] : inputs)
        if (!env.count(name)) fail("'{}' is not an input of the model", name);
    execute(fn, blobs_, c_, env, "", true, {}, observe);
    std::map<std::string, Tensor> out;
    for (const std::string& o : fn.block.outputs) {
        auto it = env.find(o);
        if (it == env.end()) fail("block output '{}' was never computed", o);
        out[o] = std::move(it->second);
    }
    return out;
}

namespace {

// The const / constexpr ops of fn (weights never depend on activations).
Function constants_of(const Function& fn) {
    Function consts;
    consts.opset = fn.opset;
    for (const Operation& op : fn.block.operations)
        if (op.type == "const" || is_constexpr(op.type)) consts.block.operations.push_back(op);
    return consts;
}

}  // namespace

Tensor Interpreter::constant(const std::string& var) const {
    std::map<std::string, Tensor> env;
    execute(constants_of(main()), blobs_, c_, env, var, false);
    return std::move(env.at(var));
}

void Interpreter::visit_constants(const std::function<void(const std::string&, const Tensor&)>& fn) const {
    std::map<std::string, Tensor> env;
    execute(constants_of(main()), blobs_, c_, env, "", false, fn);
}

}  // namespace vlmq::exporters::coreml
