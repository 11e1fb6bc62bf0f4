#pragma once
// A fixed set of worker threads that split index ranges. Owned by whoever runs the work (the CLI
// creates one from --threads); passed explicitly, never global.
//
// Decoding a token issues a few hundred short parallel_for calls; waking sleeping threads through the
// kernel for each costs more than some of the jobs. So idle workers spin for a short while before they
// sleep, and the caller spins briefly on completion before it sleeps.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vlmq {

class ThreadPool {
public:
    explicit ThreadPool(int threads);  // threads <= 0: hardware concurrency
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return int(workers_.size()) + 1; }

    // Calls fn(begin, end) on disjoint chunks covering [0, n), each at least `grain` long (except the
    // last), on all threads including the caller; returns when all are done. Exceptions thrown by fn
    // are rethrown here (the first one). Nested calls from inside fn run serially.
    void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

private:
    void worker_loop();
    void run_chunks(uint32_t generation);
    bool wait_for_generation(uint32_t seen);  // false: stop

    std::vector<std::thread> workers_;
    // The current job's ticket: generation (high 32 bits), chunk count (16 bits), next chunk (low 16 bits).
    // Claiming a chunk is one CAS on it, so a worker can never take a chunk of a job it did not see start.
    alignas(64) std::atomic<uint64_t> ticket_{0};
    alignas(64) std::atomic<int64_t> chunks_done_{0};
    std::atomic<int> sleepers_{0};
    std::atomic<bool> stop_{false};
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> busy_{false};  // a parallel_for is running
    // Written by the caller before it publishes a ticket, read by workers after they claim a chunk of it.
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t job_n_ = 0, job_chunk_ = 0;
    std::mutex mutex_;  // guards the sleeps and error_
    std::condition_variable wake_, done_;
    std::exception_ptr error_;
};

// Runs fn over [0, n) on `pool` when given, else on the calling thread.
inline void parallel_for(ThreadPool* pool, int64_t n, int64_t grain,
                         const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (pool)
        pool->parallel_for(n, grain, fn);
    else
        fn(0, n);
}

}  // namespace vlmq
