#pragma once
// The outputs of io formats that vlmq writes, as the output rules (core/output_guard.h) recognise them.
#include <string>

#include "core/output_guard.h"

namespace vlmq::io {

// A Hugging Face checkpoint directory written by vlmq (dequantize, synth): recognised by its kOutputMarker.
OutputKind checkpoint_output_kind();

// A safetensors file whose header metadata has "format": `format` (e.g. "vlmq-calibration").
OutputKind safetensors_output_kind(std::string what, std::string format);

}  // namespace vlmq::io
