#pragma once
// A byte-level BPE tokenizer.json for synthetic checkpoints: the 256 byte symbols, filler tokens up to
// `size - 3`, then <|endoftext|>, <|im_start|>, <|im_end|> (the Qwen2 special tokens) as the last ids.
#include <string>

namespace vlmq::synth {

std::string synthetic_tokenizer_json(int size);
std::string synthetic_tokenizer_config_json(int size);

}  // namespace vlmq::synth
