#pragma once
// A fixed set of worker threads that split index ranges. Owned by whoever runs the work (the CLI
// creates one from --threads); passed explicitly, never global.
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
    void worker_loop(int index);
    void run_chunks(int64_t generation);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t job_n_ = 0, job_chunk_ = 0, next_chunk_ = 0, chunks_ = 0, chunks_done_ = 0;
    int64_t generation_ = 0;
    bool stop_ = false;
    bool busy_ = false;
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
