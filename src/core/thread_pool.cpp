#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/denormals.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#endif

namespace vlmq {

namespace {

// Long enough to bridge the serial work between two kernels of a decode step, short enough that an
// idle pool stops competing for the CPU almost at once.
constexpr auto kSpin = std::chrono::microseconds(200);

// Chunks are claimed dynamically, so a thread idles at most about one chunk at the end of a job; claiming
// is one CAS, so small chunks are cheap.
constexpr int64_t kChunksPerThread = 16;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

template <class Pred>
bool spin_until(Pred done) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1;; ++i) {
        if (done()) return true;
        cpu_relax();
        if ((i & 63) == 0 && std::chrono::steady_clock::now() - start > kSpin) return false;
    }
}

uint32_t generation_of(uint64_t t) { return uint32_t(t >> 32); }
uint32_t chunks_of(uint64_t t) { return uint32_t(t >> 16) & 0xffffu; }
uint32_t next_of(uint64_t t) { return uint32_t(t) & 0xffffu; }
uint64_t make_ticket(uint32_t generation, uint32_t chunks) { return uint64_t(generation) << 32 | uint64_t(chunks) << 16; }

}  // namespace

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::min(threads, 2048);  // keeps the chunk count within the ticket's 16 bits
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

bool ThreadPool::wait_for_generation(uint32_t seen) {
    auto changed = [&] { return stop_.load() || generation_of(ticket_.load()) != seen; };
    if (!spin_until(changed)) {
        std::unique_lock lock(mutex_);
        sleepers_.fetch_add(1);  // seq_cst with the ticket loads: parallel_for sees us or we see its ticket
        wake_.wait(lock, changed);
        sleepers_.fetch_sub(1);
    }
    return !stop_.load();
}

void ThreadPool::worker_loop() {
    flush_denormals_on_this_thread();
    uint32_t seen = 0;
    while (wait_for_generation(seen)) {
        seen = generation_of(ticket_.load(std::memory_order_acquire));
        run_chunks(seen);
    }
}

void ThreadPool::run_chunks(uint32_t generation) {
    for (;;) {
        uint64_t t = ticket_.load(std::memory_order_acquire);
        do {
            if (generation_of(t) != generation || next_of(t) >= chunks_of(t)) return;
        } while (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire));
        const int64_t begin = int64_t(next_of(t)) * job_chunk_;
        const int64_t end = std::min(job_n_, begin + job_chunk_);
        try {
            (*job_)(begin, end);
        } catch (...) {
            std::lock_guard lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
        if (chunks_done_.fetch_add(1) + 1 == int64_t(chunks_of(t)) && caller_sleeping_.load()) {
            std::lock_guard lock(mutex_);
            done_.notify_all();
        }
    }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    bool idle = false;
    if (workers_.empty() || n <= grain || !busy_.compare_exchange_strong(idle, true)) {
        fn(0, n);  // nothing to split, or a nested call / another thread already uses the pool
        return;
    }
    const int64_t max_chunks = int64_t(size()) * kChunksPerThread;
    const int64_t chunk = std::max(grain, (n + max_chunks - 1) / max_chunks);
    const int64_t chunks = (n + chunk - 1) / chunk;
    job_ = &fn;
    job_n_ = n;
    job_chunk_ = chunk;
    chunks_done_.store(0);
    const uint32_t generation = generation_of(ticket_.load(std::memory_order_relaxed)) + 1;
    ticket_.store(make_ticket(generation, uint32_t(chunks)));
    if (sleepers_.load() > 0) {
        { std::lock_guard lock(mutex_); }  // a worker between its check and its sleep holds the lock
        wake_.notify_all();
    }
    run_chunks(generation);
    auto all_done = [&] { return chunks_done_.load() == chunks; };
    if (!spin_until(all_done)) {
        std::unique_lock lock(mutex_);
        caller_sleeping_.store(true);
        done_.wait(lock, all_done);
        caller_sleeping_.store(false);
    }
    std::exception_ptr error;
    {
        std::lock_guard lock(mutex_);
        error = std::exchange(error_, nullptr);
    }
    job_ = nullptr;
    busy_.store(false, std::memory_order_release);
    if (error) std::rethrow_exception(error);
}

}  // namespace vlmq
