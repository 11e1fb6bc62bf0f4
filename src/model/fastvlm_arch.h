#pragma once
#include "model/arch_table.h"

namespace vlmq::model {

// FastVLM / LLaVA-Qwen2 checkpoint layout (docs: fastvlm-architecture.md §3).
ArchTable fastvlm_arch_table();

}  // namespace vlmq::model
