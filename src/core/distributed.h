#pragma once
// The processes of one `mpirun -n N vlmq ...` (ranks). Work is sharded by sample; every reduction runs in
// a fixed order that does not depend on N, so outputs are byte-identical for any N; only rank 0 writes.
// Built without MPI (the default, or -DVLMQ_MPI=OFF) there is one rank and every call is local.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vlmq::dist {

void init(int& argc, char**& argv);
void finalize();

int rank();
int size();
inline bool is_root() { return rank() == 0; }
bool compiled_with_mpi();

// Ends every rank at once: an error on one rank must not leave the others waiting in a reduction.
[[noreturn]] void abort_all(int code);

// Blocking point-to-point messages of any length.
void send(int to, std::span<const std::byte> bytes);
std::vector<std::byte> receive(int from);

// Root's bytes on every rank (`bytes` is input on the root, output elsewhere).
void broadcast(std::vector<std::byte>& bytes, int root = 0);

// Every rank's bytes, in rank order, on every rank.
std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> bytes);

}  // namespace vlmq::dist
