#pragma once
// ModelSpec <-> the bytes of Data/com.apple.CoreML/model.mlmodel (a serialized CoreML.Specification.Model
// holding an ML Program). Deterministic: maps are written in key order. The decoder skips fields it does
// not know and fails, naming the message path, on malformed input or on value kinds vlmq does not use
// (lists, tuples, dictionaries, non-tensor features).
#include <string>
#include <string_view>

#include "export/coreml/mil_ir.h"

namespace vlmq::exporters::coreml {

std::string encode_model(const ModelSpec& m);
ModelSpec decode_model(std::string_view bytes, const std::string& where);

}  // namespace vlmq::exporters::coreml
