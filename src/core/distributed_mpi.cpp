// MPI ranks (built with -DVLMQ_MPI=ON). Only the main thread calls MPI (MPI_THREAD_FUNNELED); messages
// longer than MPI's int counts go in pieces.
#include <mpi.h>

#include <algorithm>
#include <cstdio>

#include "core/distributed.h"
#include "core/error.h"

namespace vlmq::dist {

namespace {

constexpr int64_t kPiece = int64_t(1) << 30;
int g_rank = 0, g_size = 1;
bool g_initialized = false;

void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) fail("MPI {} failed (error {})", what, rc);
}

void send_pieces(int to, const std::byte* p, int64_t n) {
    for (int64_t at = 0; at < n; at += kPiece)
        check(MPI_Send(p + at, int(std::min(kPiece, n - at)), MPI_BYTE, to, 1, MPI_COMM_WORLD), "send");
}

void receive_pieces(int from, std::byte* p, int64_t n) {
    for (int64_t at = 0; at < n; at += kPiece)
        check(MPI_Recv(p + at, int(std::min(kPiece, n - at)), MPI_BYTE, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "receive");
}

void broadcast_pieces(std::byte* p, int64_t n, int root) {
    for (int64_t at = 0; at < n; at += kPiece)
        check(MPI_Bcast(p + at, int(std::min(kPiece, n - at)), MPI_BYTE, root, MPI_COMM_WORLD), "broadcast");
}

}  // namespace

void init(int& argc, char**& argv) {
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        std::fprintf(stderr, "vlmq: error: MPI_Init_thread failed\n");
        std::exit(1);
    }
    g_initialized = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
}

void finalize() {
    if (g_initialized) MPI_Finalize();
    g_initialized = false;
}

int rank() { return g_rank; }
int size() { return g_size; }
bool compiled_with_mpi() { return true; }

void abort_all(int code) {
    if (g_initialized && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
    finalize();
    std::exit(code);
}

void send(int to, std::span<const std::byte> bytes) {
    const int64_t n = int64_t(bytes.size());
    check(MPI_Send(&n, 1, MPI_INT64_T, to, 0, MPI_COMM_WORLD), "send");
    send_pieces(to, bytes.data(), n);
}

std::vector<std::byte> receive(int from) {
    int64_t n = 0;
    check(MPI_Recv(&n, 1, MPI_INT64_T, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receive");
    std::vector<std::byte> out(static_cast<size_t>(n));
    receive_pieces(from, out.data(), n);
    return out;
}

void broadcast(std::vector<std::byte>& bytes, int root) {
    if (g_size == 1) return;
    int64_t n = int64_t(bytes.size());
    check(MPI_Bcast(&n, 1, MPI_INT64_T, root, MPI_COMM_WORLD), "broadcast");
    if (g_rank != root) bytes.resize(static_cast<size_t>(n));
    broadcast_pieces(bytes.data(), n, root);
}

std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> bytes) {
    std::vector<std::vector<std::byte>> out(static_cast<size_t>(g_size));
    for (int r = 0; r < g_size; ++r) {
        if (r == g_rank) out[size_t(r)].assign(bytes.begin(), bytes.end());
        broadcast(out[size_t(r)], r);
    }
    return out;
}

}  // namespace vlmq::dist
