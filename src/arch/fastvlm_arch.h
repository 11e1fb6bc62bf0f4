#pragma once
#include "arch/arch_table.h"

namespace vlmq::arch {

// FastVLM / LLaVA-Qwen2 checkpoint layout (docs: fastvlm-architecture.md §3).
ArchTable fastvlm_arch_table();

}  // namespace vlmq::arch
