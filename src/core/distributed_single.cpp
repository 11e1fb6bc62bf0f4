// The one-process build: rank 0 of 1. Messages to another rank cannot exist.
#include <cstdlib>

#include "core/distributed.h"
#include "core/error.h"

namespace vlmq::dist {

void init(int&, char**&) {}
void finalize() {}
int rank() { return 0; }
int size() { return 1; }
bool compiled_with_mpi() { return false; }
void abort_all(int code) { std::exit(code); }

void send(int to, std::span<const std::byte>) { fail("no rank {} in a single-process run", to); }
std::vector<std::byte> receive(int from) { fail("no rank {} in a single-process run", from); }
void broadcast(std::vector<std::byte>&, int) {}
std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> bytes) {
    return {std::vector<std::byte>(bytes.begin(), bytes.end())};
}

}  // namespace vlmq::dist
