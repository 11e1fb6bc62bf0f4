#pragma once
// Flush-to-zero / denormals-are-zero for the calling thread. Subnormal floats (which random or deep
// activations produce, e.g. GELU far in its negative tail) are ~100x slower on x86; results change only for
// values below 1.2e-38. Called by the CLI's main thread and every ThreadPool worker.
namespace vlmq {

void flush_denormals_on_this_thread();

}  // namespace vlmq
