#include "core/thread_pool.h"

#include "core/denormals.h"

#include <algorithm>

namespace vlmq {

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunks(int64_t generation) {
    for (;;) {
        int64_t chunk;
        {
            std::lock_guard lock(mutex_);
            if (generation != generation_ || next_chunk_ >= chunks_) return;
            chunk = next_chunk_++;
        }
        const int64_t begin = chunk * job_chunk_;
        const int64_t end = std::min(job_n_, begin + job_chunk_);
        try {
            (*job_)(begin, end);
        } catch (...) {
            std::lock_guard lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
        std::lock_guard lock(mutex_);
        if (++chunks_done_ == chunks_) done_.notify_all();
    }
}

void ThreadPool::worker_loop(int) {
    flush_denormals_on_this_thread();
    int64_t seen = 0;
    for (;;) {
        int64_t generation;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || (generation_ != seen && next_chunk_ < chunks_); });
            if (stop_) return;
            generation = seen = generation_;
        }
        run_chunks(generation);
    }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    {
        std::unique_lock lock(mutex_);
        if (busy_ || workers_.empty() || n <= grain) {
            lock.unlock();
            fn(0, n);
            return;
        }
        busy_ = true;
        const int64_t max_chunks = int64_t(size()) * 4;
        const int64_t chunk = std::max(grain, (n + max_chunks - 1) / max_chunks);
        job_ = &fn;
        job_n_ = n;
        job_chunk_ = chunk;
        chunks_ = (n + chunk - 1) / chunk;
        next_chunk_ = 0;
        chunks_done_ = 0;
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    run_chunks(generation_);
    std::exception_ptr error;
    {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return chunks_done_ == chunks_; });
        job_ = nullptr;
        busy_ = false;
        error = error_;
        error_ = nullptr;
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace vlmq
